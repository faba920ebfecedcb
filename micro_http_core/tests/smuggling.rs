//! The request-smuggling matrix: CL.TE, TE.CL, TE.TE with obfuscated `Transfer-Encoding`, malformed
//! `Content-Length` values and chunk sizes. Each case is sent on its own connection followed by a request a
//! lenient parser would see inside the body; each must be refused with a 400 (or get the documented, RFC-backed
//! behaviour) and close the connection, and never may two requests be answered where a strict parser sees one.
mod common;
use common::*;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::timeout;

/// What a case must get.
enum Verdict {
    /// Refused with one of these statuses and the connection closed; nothing after it answered.
    Refused(&'static [u16]),
    /// Parsed as a strict parser does: the echo of exactly this body, then the second request, separately.
    Parsed(&'static str),
}

struct Attack {
    name: &'static str,
    /// The RFC rule that decides the verdict.
    rule: &'static str,
    head_fields: &'static str,
    body: &'static str,
    verdict: Verdict,
}

const SMUGGLED: &str = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

/// A body that hides a request a lenient parser would see: `0\r\n\r\n` ends a chunked body early, after which
/// `GET /smuggled` starts.
const HIDDEN: &str = "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

fn attacks() -> Vec<Attack> {
    use Verdict::*;
    vec![
        // -- CL.TE and TE.CL: a front end using one header and a back end the other disagree on the body.
        Attack {
            name: "CL.TE",
            rule: "RFC 9112 §6.1: TE with CL MAY be refused, and the connection MUST be closed after it",
            head_fields: "Content-Length: 40\r\nTransfer-Encoding: chunked\r\n",
            body: HIDDEN,
            verdict: Refused(&[400]),
        },
        Attack {
            name: "TE.CL",
            rule: "RFC 9112 §6.1 (as CL.TE; header order does not matter)",
            head_fields: "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
            body: "23\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n\r\n0\r\n\r\n",
            verdict: Refused(&[400]),
        },
        // -- TE.TE: obfuscated Transfer-Encoding that one of two parsers may not recognise.
        Attack {
            name: "TE `chunked ` (trailing space)",
            rule: "RFC 9110 §5.5: leading and trailing OWS is not part of the field value: it is `chunked`",
            head_fields: "Transfer-Encoding: chunked \r\n",
            body: "5\r\nhello\r\n0\r\n\r\n",
            verdict: Parsed("hello"),
        },
        Attack {
            name: "TE `Chunked`",
            rule: "RFC 9112 §7: transfer-coding names are case-insensitive",
            head_fields: "Transfer-Encoding: Chunked\r\n",
            body: "5\r\nhello\r\n0\r\n\r\n",
            verdict: Parsed("hello"),
        },
        Attack {
            name: "TE `xchunked`",
            rule: "RFC 9112 §6.1: an unknown transfer coding -> 501 and close",
            head_fields: "Transfer-Encoding: xchunked\r\n",
            body: HIDDEN,
            verdict: Refused(&[501]),
        },
        Attack {
            name: "TE `chunked, identity`",
            rule: "RFC 9112 §6.3 rule 4: chunked not last -> length undeterminable, 400 and close (501 here: \
                   `identity` is no coding we implement, RFC 9112 §6.1)",
            head_fields: "Transfer-Encoding: chunked, identity\r\n",
            body: HIDDEN,
            verdict: Refused(&[400, 501]),
        },
        Attack {
            name: "TE tab before the value",
            rule: "RFC 9110 §5.5/§5.6.3: OWS is SP or HTAB, so the value is `chunked`",
            head_fields: "Transfer-Encoding:\tchunked\r\n",
            body: "5\r\nhello\r\n0\r\n\r\n",
            verdict: Parsed("hello"),
        },
        Attack {
            name: "TE duplicate header line",
            rule: "RFC 9112 §6.1: chunked MUST NOT be applied more than once (the lines combine, RFC 9110 §5.3)",
            head_fields: "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            body: HIDDEN,
            verdict: Refused(&[400]),
        },
        Attack {
            name: "TE vertical tab before the value",
            rule: "RFC 9110 §5.5: VT is no field-vchar or OWS: an invalid field value, 400",
            head_fields: "Transfer-Encoding: \x0bchunked\r\n",
            body: HIDDEN,
            verdict: Refused(&[400]),
        },
        Attack {
            name: "TE `chunked` then TE `x`",
            rule: "RFC 9110 §5.3: the lines combine to `chunked, x`: chunked not last (RFC 9112 §6.3 rule 4) and \
                   `x` unknown (§6.1)",
            head_fields: "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n",
            body: HIDDEN,
            verdict: Refused(&[400, 501]),
        },
        // -- Content-Length shapes: `Content-Length = 1*DIGIT` (RFC 9110 §8.6).
        Attack {
            name: "CL `+5`",
            rule: "RFC 9110 §8.6: 1*DIGIT, no sign; invalid -> 400 and close (RFC 9112 §6.3 rule 5)",
            head_fields: "Content-Length: +5\r\n",
            body: "hello",
            verdict: Refused(&[400]),
        },
        Attack {
            name: "CL `1_0`",
            rule: "RFC 9110 §8.6: 1*DIGIT; RFC 9112 §6.3 rule 5",
            head_fields: "Content-Length: 1_0\r\n",
            body: "helloworld",
            verdict: Refused(&[400]),
        },
        Attack {
            name: "CL ` 5` (leading space)",
            rule: "RFC 9110 §5.5: leading OWS is not part of the value: a valid 5",
            head_fields: "Content-Length:  5\r\n",
            body: "hello",
            verdict: Parsed("hello"),
        },
        Attack {
            name: "CL `5 ` (trailing space)",
            rule: "RFC 9110 §5.5: trailing OWS is not part of the value: a valid 5",
            head_fields: "Content-Length: 5 \r\n",
            body: "hello",
            verdict: Parsed("hello"),
        },
        Attack {
            name: "CL `0x5`",
            rule: "RFC 9110 §8.6: decimal digits only; RFC 9112 §6.3 rule 5",
            head_fields: "Content-Length: 0x5\r\n",
            body: "hello",
            verdict: Refused(&[400]),
        },
        Attack {
            name: "CL `5,5`",
            rule: "RFC 9110 §8.6 / RFC 9112 §6.3 rule 5: a list of identical values MAY be taken as that one value",
            head_fields: "Content-Length: 5,5\r\n",
            body: "hello",
            verdict: Parsed("hello"),
        },
        Attack {
            name: "CL `5, 6`",
            rule: "RFC 9112 §6.3 rule 5: differing values -> unrecoverable framing error, 400 and close",
            head_fields: "Content-Length: 5, 6\r\n",
            body: "hello!",
            verdict: Refused(&[400]),
        },
        // -- Chunk sizes: `chunk-size = 1*HEXDIG` (RFC 9112 §7.1).
        Attack {
            name: "chunk size `0x5`",
            rule: "RFC 9112 §7.1: 1*HEXDIG, no prefix: `0` then junk -> 400",
            head_fields: "Transfer-Encoding: chunked\r\n",
            body: "0x5\r\nhello\r\n0\r\n\r\n",
            verdict: Refused(&[400]),
        },
        Attack {
            name: "chunk size `ffffffffffffffffffff`",
            rule: "RFC 9112 §7.1: a size the recipient cannot represent MUST be treated as an error (overflow)",
            head_fields: "Transfer-Encoding: chunked\r\n",
            body: "ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            verdict: Refused(&[400, 413]),
        },
        Attack {
            name: "chunk size `-1`",
            rule: "RFC 9112 §7.1: 1*HEXDIG, no sign",
            head_fields: "Transfer-Encoding: chunked\r\n",
            body: "-1\r\nhello\r\n0\r\n\r\n",
            verdict: Refused(&[400]),
        },
        Attack {
            name: "chunk size ` 5` (leading space)",
            rule: "RFC 9112 §7.1: the line starts with the size; no OWS in this grammar",
            head_fields: "Transfer-Encoding: chunked\r\n",
            body: " 5\r\nhello\r\n0\r\n\r\n",
            verdict: Refused(&[400]),
        },
        Attack {
            name: "chunk size `5 ` (trailing space, no extension)",
            rule: "RFC 9112 §7.1.1: BWS is allowed only before `;` of a chunk-ext; alone it is junk",
            head_fields: "Transfer-Encoding: chunked\r\n",
            body: "5 \r\nhello\r\n0\r\n\r\n",
            verdict: Refused(&[400]),
        },
    ]
}

/// Sends the attack and `GET /smuggled` in one write on one connection; returns every response until EOF
/// (or until nothing more comes for a while) and whether the connection was closed.
async fn run_attack(addr: SocketAddr, a: &Attack) -> (Vec<Resp>, bool) {
    let raw = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\n{}\r\n{}{SMUGGLED}",
        a.head_fields, a.body
    );
    let mut c = FallibleClient::connect(addr, Duration::from_secs(1))
        .await
        .unwrap();
    c.send(raw).await.unwrap();
    let mut responses = Vec::new();
    loop {
        match c.read(false).await {
            Ok(r) => responses.push(r),
            Err(ReadError::Closed) => return (responses, true),
            // Still open and quiet for a second: the server is waiting for another request.
            Err(ReadError::Timeout { got: 0 }) => return (responses, false),
            Err(e) => panic!("{}: {e:?} after {} responses", a.name, responses.len()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggling_matrix_is_refused_or_parsed_exactly_as_a_strict_parser_would() {
    // Idle connections stay open longer than the quiet that ends `run_attack`.
    let srv = start(
        hostile_app(BigPulls::default()).with_limits(|l| l.idle_timeout = Duration::from_secs(10)),
    )
    .await;
    // Each case on its own connection, all at once: the cases that are parsed end on a second of quiet.
    let runs: Vec<_> = attacks()
        .into_iter()
        .map(|a| {
            let addr = srv.addr;
            tokio::spawn(async move {
                let outcome = run_attack(addr, &a).await;
                (a, outcome)
            })
        })
        .collect();
    let mut failures = Vec::new();
    for run in runs {
        let (a, (responses, closed)) = timeout(Duration::from_secs(10), run)
            .await
            .expect("case ends")
            .unwrap();
        let got: Vec<(u16, String)> = responses.iter().map(|r| (r.status, r.text())).collect();
        let ok = match a.verdict {
            Verdict::Refused(statuses) => {
                responses.len() == 1
                    && statuses.contains(&responses[0].status)
                    && responses[0].header("connection") == Some("close")
                    && closed
            }
            Verdict::Parsed(body) => {
                got == [(200, body.to_string()), (200, "smuggled".to_string())] && !closed
            }
        };
        if !ok {
            failures.push(format!(
                "{} ({}): got {got:?}, closed: {closed}",
                a.name, a.rule
            ));
        }
        assert!(
            responses.iter().filter(|r| r.text() == "smuggled").count()
                <= usize::from(matches!(a.verdict, Verdict::Parsed(_))),
            "{}: a smuggled request was answered: {got:?}",
            a.name
        );
    }
    assert!(
        failures.is_empty(),
        "smuggling cases:\n{}",
        failures.join("\n")
    );
}
