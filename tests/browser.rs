//! The reference app in a real browser: headless Chromium driven by chromedriver (W3C WebDriver) against the
//! app served on 127.0.0.1. Needs the Debian packages `chromium` and `chromium-driver`; fails without them.
//! Screenshots go to `<target dir>/browser/{index,upload}.png`.

#[allow(unused_imports)] // the raw-socket client is not used here
mod common;
#[path = "../examples/hello_world/routes.rs"]
#[allow(dead_code)]
mod routes;
#[path = "common/webdriver.rs"]
mod webdriver;

use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use webdriver::{find_in_path, Chromedriver};

const WAIT: Duration = Duration::from_secs(10);

/// `$CARGO_TARGET_DIR` or `<workspace root>/target`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// A fresh directory (Chrome's profile, the file to upload), removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("micro_http-browser-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn reference_app_in_chromium() {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    let missing = "headless Chromium is required: `apt-get install chromium chromium-driver`";
    let chromium = find_in_path("chromium")
        .unwrap_or_else(|| panic!("`chromium` not found on PATH; {missing}"));
    let chromedriver = find_in_path("chromedriver")
        .unwrap_or_else(|| panic!("`chromedriver` not found on PATH; {missing}"));

    let out = target_dir().join("browser");
    std::fs::create_dir_all(&out).expect("target/browser");
    let tmp = TempDir::new();
    let profile = tmp.0.join("profile");
    let base = format!("http://{}", common::start_app());

    let driver = Chromedriver::start(&chromedriver, &out.join("chromedriver.log"), deadline);
    let browser = driver.new_session(json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "timeouts": { "pageLoad": 15_000, "script": 5_000, "implicit": 0 },
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", format!("--user-data-dir={}", profile.display()), "--window-size=1280,1000",
            ],
        },
    }));

    // 1. The index page: stylesheet applied, logo loaded, the message shown.
    browser.goto(&format!("{base}/"));
    browser.wait_until(
        "the page and its subresources",
        "return document.readyState === 'complete';",
        WAIT,
    );
    let background = browser.js("return getComputedStyle(document.body).backgroundColor;");
    assert_eq!(
        background, "rgb(246, 247, 251)",
        "/static/style.css is not applied"
    );
    let logo = browser
        .js("const img = document.querySelector('img'); return [img.complete, img.naturalWidth];");
    assert!(
        logo[0] == true && logo[1].as_u64() > Some(0),
        "the logo did not load: {logo}"
    );
    assert_eq!(browser.find("#message").text(), routes::MESSAGE);
    // Nothing but the app itself: every subresource came from 127.0.0.1 (Chrome also asks for /favicon.ico).
    let resources = browser.js("return performance.getEntriesByType('resource').map(e => e.name);");
    let resources: Vec<&str> = resources
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    for asset in ["style.css", "app.js", "logo.svg"] {
        assert!(
            resources.contains(&format!("{base}/static/{asset}").as_str()),
            "{asset} not loaded: {resources:?}"
        );
    }
    assert!(
        resources.iter().all(|r| r.starts_with(&format!("{base}/"))),
        "{resources:?}"
    );
    browser.screenshot(&out.join("index.png"));

    // 2. The GET form: the name comes back as text, escaped, nothing injected.
    browser.find("#get-name").send_keys("Ada <b>&");
    browser.find("#get-submit").click();
    browser.wait_until(
        "the GET result",
        "return document.getElementById('greeting') !== null;",
        WAIT,
    );
    assert_eq!(
        browser.js("return location.pathname + location.search;"),
        "/?name=Ada+%3Cb%3E%26"
    );
    assert_eq!(browser.find("#greeting").text(), "Hello, Ada <b>&!");
    assert_eq!(
        browser.js("return document.querySelectorAll('#greeting *').length;"),
        0
    );

    // 3. The urlencoded POST form.
    browser.goto(&format!("{base}/"));
    browser.find("#post-name").send_keys("Grace Hopper");
    browser.find("#post-submit").click();
    browser.wait_until(
        "the POST result",
        "return document.getElementById('greeting') !== null;",
        WAIT,
    );
    assert_eq!(browser.js("return location.pathname;"), "/form");
    assert_eq!(browser.find("#greeting").text(), "Hello, Grace Hopper!");

    // 4. The multipart upload: a 1234-byte file from a local path.
    let file = tmp.0.join("report-2024.txt");
    std::fs::write(
        &file,
        (0..1234)
            .map(|i| b'a' + (i % 26) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    browser.goto(&format!("{base}/"));
    browser
        .find("#upload-file")
        .send_keys(file.to_str().unwrap());
    browser.find("#upload-name").send_keys("Linus");
    browser.wait_until(
        "app.js to show the chosen file",
        "return document.getElementById('upload-file-info').textContent === 'report-2024.txt (1.2 KiB)';",
        WAIT,
    );
    browser.find("#upload-submit").click();
    browser.wait_until(
        "the upload result",
        "return document.getElementById('upload-filename') !== null;",
        WAIT,
    );
    assert_eq!(browser.js("return location.pathname;"), "/upload");
    assert_eq!(browser.find("#upload-filename").text(), "report-2024.txt");
    assert_eq!(
        browser.find("#upload-result").text(),
        "Received report-2024.txt (1234 bytes)"
    );
    assert_eq!(browser.find("#greeting").text(), "Hello, Linus!");

    // 5. The upload result, for a human to look at.
    browser.screenshot(&out.join("upload.png"));

    drop(browser);
    let took = started.elapsed();
    eprintln!("browser test: {took:?}; screenshots in {}", out.display());
    assert!(
        took < Duration::from_secs(60),
        "the browser test took {took:?}"
    );
}
