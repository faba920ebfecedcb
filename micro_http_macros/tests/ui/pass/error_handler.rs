use micro_http::__private::ErrorHandler;
use micro_http::prelude::*;

#[error_handler]
pub async fn not_found(headers: Headers, req: Request) -> (StatusCode, Html<String>) {
    let _ = headers;
    (StatusCode::NOT_FOUND, Html(format!("<p>no {}</p>", req.path())))
}

fn main() {
    assert_eq!(not_found::def().name, concat!(module_path!(), "::not_found"));
    assert_eq!(micro_http::__private::ERROR_HANDLERS.len(), 1);
    let _ = App::new().mount_error_handler::<not_found>();
}
