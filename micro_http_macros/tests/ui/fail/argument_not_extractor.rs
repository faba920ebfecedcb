use micro_http::prelude::*;

struct Session {
    user: String,
}

#[get("/me")]
async fn me(session: Session) -> String {
    session.user
}

fn main() {}
