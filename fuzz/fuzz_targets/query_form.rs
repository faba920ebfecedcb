//! Query and form decoding through the real extractors: never a panic, and a decoded map re-encodes and
//! decodes to itself.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use micro_http_core::{Form, FromRequest, Query};

fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    // The query must be a valid request-target: keep visible ASCII only.
    let query: String = data.iter().filter(|b| (0x21..=0x7e).contains(*b) && **b != b'#').map(|&b| b as char).collect();
    let raw = format!("GET /?{query} HTTP/1.1\r\nHost: f\r\n\r\n");
    let mut req = micro_http_core::test::request(&raw);
    rt.block_on(async {
        if let Ok(Query(map)) = Query::<HashMap<String, String>>::from_request(&mut req).await {
            let again = serde_urlencoded::to_string(&map).unwrap();
            let back: HashMap<String, String> = serde_urlencoded::from_str(&again).unwrap();
            assert_eq!(back, map);
        }
        let _ = Query::<Vec<(String, u32)>>::from_request(&mut req).await;
    });
    let body = String::from_utf8_lossy(data);
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: f\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut req = micro_http_core::test::request(&raw);
    rt.block_on(async {
        let _ = Form::<HashMap<String, String>>::from_request(&mut req).await;
    });
});
