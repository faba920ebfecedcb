use micro_http::prelude::*;

struct Raw(Bytes);

impl FromRequest for Raw {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        Bytes::from_request(req).await.map(Raw)
    }
}

#[post("/twice")]
async fn twice(a: Raw, b: Raw) -> String {
    format!("{} {}", a.0.len(), b.0.len())
}

fn main() {}
