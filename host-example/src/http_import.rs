//! `wasi:http/outgoing-handler` for the lookup component: wasmtime-wasi-http's own handler, plus
//! the one thing it forgets.
//!
//! wasmtime-wasi-http 48's `handle` reads the `request-options` resource a request passes (an
//! owned handle) and never deletes it, so every request with options left an entry in the
//! store's resource table for the life of the instance (~110 bytes a request, seen as linear
//! memory growth under load). This handler delegates to it and then deletes the options.

use wasmtime::component::{Linker, Resource};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::p2::bindings::http::{outgoing_handler, types};
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, HostOutgoingRequest};
use wasmtime_wasi_http::{RequestOptions, WasiHttpView};

/// The interface as the vendored WASI (and wasmtime-wasi-http 48) name it.
const INTERFACE: &str = "wasi:http/outgoing-handler@0.2.12";

type Handled = Result<Resource<HostFutureIncomingResponse>, ErrorCode>;

/// Adds `wasi:http/types` (wasmtime-wasi-http's) and this `outgoing-handler` to `linker`: what
/// `wasmtime_wasi_http::p2::add_only_http_to_linker_async` adds, without the leak.
pub fn add_to_linker<T: WasiHttpView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    let options = wasmtime_wasi_http::p2::bindings::LinkOptions::default();
    types::add_to_linker::<_, wasmtime_wasi_http::WasiHttp>(linker, &options.into(), T::http)?;
    linker.instance(INTERFACE)?.func_wrap(
        "handle",
        |mut store,
         (request, options): (
            Resource<HostOutgoingRequest>,
            Option<Resource<RequestOptions>>,
        )|
         -> wasmtime::Result<(Handled,)> {
            let mut http = store.data_mut().http();
            let owned = options.as_ref().map(Resource::rep);
            let result = outgoing_handler::Host::handle(&mut http, request, options);
            if let Some(rep) = owned {
                // Already gone is fine: a later wasmtime may delete it itself.
                let _ = http.table.delete(Resource::<RequestOptions>::new_own(rep));
            }
            let result = match result {
                Ok(future) => Ok(future),
                Err(e) => Err(types::Host::convert_error_code(&mut http, e)?),
            };
            Ok((result,))
        },
    )?;
    Ok(())
}
