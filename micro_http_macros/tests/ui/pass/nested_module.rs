mod api {
    pub mod v1 {
        use micro_http::prelude::*;

        #[get("/v1/users/{id}")]
        pub async fn user(id: u32) -> String {
            id.to_string()
        }

        #[get("/v1/private")]
        pub(crate) async fn private() -> &'static str {
            "private"
        }

        #[get("/v1/hidden")]
        async fn hidden() -> &'static str {
            "hidden"
        }
    }
}

use micro_http::__private::Route;

fn main() {
    assert_eq!(api::v1::user::def().name, concat!(module_path!(), "::api::v1::user"));
    assert_eq!(api::v1::private::def().path, "/v1/private");
    // The fns stay callable.
    let _ = api::v1::user(1);
    let _ = micro_http::App::new().mount::<api::v1::user>();
}
