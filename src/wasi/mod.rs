//! The WASI glue: the only code that touches WASI. It binds the WIT world, implements the core's
//! transport over `wasi:http/outgoing-handler`, and maps WIT types to the core and back.
//!
//! Only built for `wasm32`; everything it calls into is tested natively.

mod exports;
mod http;

/// Bindings for `wit/ssm-secrets.wit`; the WASI interfaces are `wasip2`'s own types.
#[allow(unsafe_code, missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        world: "ssm-backend",
        path: "wit",
        with: {
            "wasi:http/types@0.2.12": wasip2::http::types,
            "wasi:http/outgoing-handler@0.2.12": wasip2::http::outgoing_handler,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
        },
    });

    use super::exports::Component;
    export!(Component with_types_in self);
}
