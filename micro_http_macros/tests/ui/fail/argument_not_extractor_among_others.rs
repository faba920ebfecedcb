use micro_http::prelude::*;
use std::collections::HashMap;

struct Session {
    user: String,
}

// With several extractors the generated code also checks their `READS_BODY`: still one error.
#[get("/me")]
async fn me(q: Query<HashMap<String, String>>, session: Session, headers: Headers) -> String {
    let _ = (q, headers);
    session.user
}

fn main() {}
