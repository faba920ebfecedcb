//! Extractors for the request's parts: [`Headers`] and [`PeerAddr`].

use std::net::SocketAddr;

use http::StatusCode;

use super::{FromRequest, Rejection};
use crate::headers::Headers;
use crate::request::Request;

/// The header fields (a cheap clone of the received head).
impl FromRequest for Headers {
    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        Ok(req.headers().clone())
    }
}

/// The client's socket address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl FromRequest for PeerAddr {
    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        req.peer_addr()
            .map(PeerAddr)
            .ok_or_else(|| Rejection::new(StatusCode::INTERNAL_SERVER_ERROR, "no peer address"))
    }
}
