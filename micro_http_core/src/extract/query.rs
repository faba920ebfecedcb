//! [`Query<T>`]: the query string, deserialized.

use serde::de::DeserializeOwned;

use super::{FromRequest, Rejection};
use crate::request::Request;

/// The query string deserialized into `T` with `serde` (`+` and `%XX` decoded). A missing or malformed field
/// answers 400 naming it.
///
/// ```
/// use micro_http_core::Query;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Paging { page: Option<u32> }
///
/// async fn list(Query(p): Query<Paging>) -> String {
///     format!("page {}", p.page.unwrap_or(1))
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest for Query<T> {
    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        let q = req.query().unwrap_or("");
        serde_urlencoded::from_str(q)
            .map(Query)
            .map_err(|e| Rejection::bad_request(format!("invalid query string: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test::request;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Q {
        name: String,
        n: Option<u32>,
    }

    #[tokio::test]
    async fn decodes_plus_and_percent() {
        let mut req = request("GET /?name=a+b%26c&n=3 HTTP/1.1\r\nHost: h\r\n\r\n");
        let Query(q) = Query::<Q>::from_request(&mut req).await.unwrap();
        assert_eq!(
            q,
            Q {
                name: "a b&c".into(),
                n: Some(3)
            }
        );
    }

    #[tokio::test]
    async fn missing_field_names_it() {
        let mut req = request("GET /?n=3 HTTP/1.1\r\nHost: h\r\n\r\n");
        let e = Query::<Q>::from_request(&mut req).await.unwrap_err();
        assert_eq!(e.status().as_u16(), 400);
        assert!(e.message().contains("name"), "{}", e.message());
    }

    #[tokio::test]
    async fn bad_number() {
        let mut req = request("GET /?name=x&n=zz HTTP/1.1\r\nHost: h\r\n\r\n");
        let e = Query::<Q>::from_request(&mut req).await.unwrap_err();
        assert_eq!(e.status().as_u16(), 400);
    }
}
