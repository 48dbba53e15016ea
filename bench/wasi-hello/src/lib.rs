//! `GET` anything answers `Hello, world`: the wasi-http twin of `plugins/hello`, so
//! `wasmtime serve` and gale are measured serving the same response.

use wasi::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

wasi::http::proxy::export!(Hello);

struct Hello;

impl wasi::exports::http::incoming_handler::Guest for Hello {
    fn handle(_request: IncomingRequest, response_out: ResponseOutparam) {
        let headers = Fields::from_list(&[(
            "content-type".to_string(),
            b"text/html; charset=UTF-8".to_vec(),
        )])
        .expect("a valid header");
        let response = OutgoingResponse::new(headers);
        let body = response.body().expect("the body, taken once");
        ResponseOutparam::set(response_out, Ok(response));
        let out = body.write().expect("the body's stream, taken once");
        out.blocking_write_and_flush(b"Hello, world")
            .expect("writing 12 bytes");
        drop(out);
        OutgoingBody::finish(body, None).expect("finishing the body");
    }
}
