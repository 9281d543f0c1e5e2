//! Every fixture snapshot of `codegen_fixtures.rs` compiles, as progenitor's own sample outputs
//! do: the tests package's build script turns each snapshot into a module (`client`,
//! `operations`, `values`), included here as `crate::<fixture>::generated`, next to the
//! `ClientState`, `metadata`, hooks impl, `Client` and call pipeline that zoom-billing provides
//! for the real spec (the pipeline reduced to one attempt).

macro_rules! fixture {
    ($($name:ident),* $(,)?) => {
        /// A fixture snapshot added to `codegen_fixtures.rs` must be listed here too.
        #[test]
        fn every_fixture_snapshot_is_compiled() {
            let found = include_str!(concat!(env!("OUT_DIR"), "/fixtures/names.txt"));
            let mut listed = vec![$(stringify!($name)),*];
            listed.sort_unstable();
            assert_eq!(found.lines().collect::<Vec<_>>(), listed, "list every fixture in fixture!(...)");
        }
    $(
        #[allow(dead_code, unused_imports, missing_docs, clippy::all)]
        mod $name {
            /// The runtime state the generated client carries (none here).
            #[derive(Clone, Debug, Default)]
            pub struct ClientState;

            /// The runtime types the generated code names under its module root.
            pub use zoom_billing::{Money, ZoomDate};

            /// zoom-billing's metadata types, the same file, over this fixture's operations.
            pub mod metadata {
                pub use super::generated::operations::Operation;
                mod types {
                    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../zoom-billing/src/metadata/types.rs"));
                }
                pub use types::{
                    OperationMeta, Pagination, RateLimit, RateLimitLabel, RateLimitScope, ResponseKind, Verification,
                };
            }

            /// zoom-billing's request checks, the same file.
            pub mod request {
                include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../zoom-billing/src/request.rs"));
            }

            /// zoom-billing's JSON decoding, the same file.
            pub mod decode {
                include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../zoom-billing/src/decode.rs"));
            }

            /// What the generated streams need: a stream type, a cursor and a constructor.
            pub mod paginate {
                #[derive(Clone, Debug, Default)]
                pub struct PageCursor;

                pub struct Pages<'a, T>(::std::marker::PhantomData<&'a T>);

                pub fn pages<'a, T, F>(_client: &'a super::Client, _op: super::metadata::Operation, _cursor: PageCursor, _fetch: F) -> Pages<'a, T>
                where
                    F: FnMut(Option<String>) -> ::futures::future::BoxFuture<'a, super::Result<(Vec<T>, Option<String>)>> + Send + 'a,
                {
                    Pages(::std::marker::PhantomData)
                }
            }

            /// What the generated download sinks need.
            pub mod download {
                use super::generated::client::ByteStream;

                /// `probe` builds the request without sending it (a job's journal; never here).
                pub async fn save_to<F, Fut>(
                    _client: &super::Client,
                    _op: super::metadata::Operation,
                    _probe: F,
                    call: super::CallFuture<'_, ByteStream>,
                    _path: &::std::path::Path,
                ) -> super::Result<u64>
                where
                    F: FnMut() -> Fut,
                    Fut: ::std::future::Future,
                {
                    call.await.map(|_| 0)
                }

                pub async fn write_to<W: ::tokio::io::AsyncWrite + Unpin + ?Sized>(
                    _op: super::metadata::Operation,
                    call: super::CallFuture<'_, ByteStream>,
                    _writer: &mut W,
                ) -> super::Result<u64> {
                    call.await.map(|_| 0)
                }
            }

            /// zoom-billing's compiled-schema types, the same file, for `generated::schemas`.
            pub mod drift {
                pub mod schema {
                    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../zoom-billing/src/drift/schema.rs"));
                }
            }

            pub mod generated {
                include!(concat!(env!("OUT_DIR"), "/fixtures/", stringify!($name), ".rs"));
            }

            // Hooks are expected by the generated code; the defaults send the request as is.
            impl progenitor_client::ClientHooks<ClientState> for generated::client::Client {}

            /// What each `send()` awaits (codegen's lean pass): the hooks' steps, in
            /// progenitor's order, as zoom-billing's `hooks::execute` runs them.
            pub mod hooks {
                use progenitor_client::ClientHooks as _;

                pub async fn execute<E>(
                    client: &super::generated::client::Client,
                    mut request: reqwest::Request,
                    info: &progenitor_client::OperationInfo,
                ) -> ::std::result::Result<reqwest::Response, progenitor_client::Error<E>> {
                    client.pre(&mut request, info).await?;
                    let result = client.exec(request, info).await;
                    client.post(&result, info).await?;
                    Ok(result?)
                }
            }

            /// What the generated call layer (`calls.rs`) needs of zoom-billing's runtime: its
            /// client and a pipeline; here one attempt, errors as text.
            #[derive(Clone, Debug)]
            pub struct Client {
                raw: generated::client::Client,
            }

            impl Client {
                fn raw(&self) -> &generated::client::Client {
                    &self.raw
                }
            }

            pub type Result<T> = ::std::result::Result<T, String>;

            pub type CallFuture<'a, T> = ::std::pin::Pin<
                Box<dyn ::std::future::Future<Output = Result<progenitor_client::ResponseValue<T>>> + Send + 'a>,
            >;

            pub mod call {
                #[derive(Clone, Debug, Default)]
                pub struct CallOptions;

                pub fn refused<'a, T: Send + 'a>(_operation: super::metadata::Operation, message: String) -> super::CallFuture<'a, T> {
                    Box::pin(async move { Err(message) })
                }

                /// What the generated builder knows of its call.
                pub struct Call<T> {
                    pub operation: super::metadata::Operation,
                    pub account_id: Option<String>,
                    pub options: CallOptions,
                    pub empty: Option<fn() -> T>,
                }

                pub fn run<'a, T, E, F, Fut>(
                    _client: &'a super::Client,
                    _call: Call<T>,
                    mut attempt: F,
                ) -> super::CallFuture<'a, T>
                where
                    T: Send + 'a,
                    F: FnMut() -> Fut + Send + 'a,
                    Fut: ::std::future::Future<
                            Output = ::std::result::Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
                        > + Send
                        + 'a,
                {
                    Box::pin(async move { attempt().await.map_err(|_| "the request failed".to_owned()) })
                }
            }

            #[test]
            fn compiles_and_builds_a_client() {
                use progenitor_client::ClientInfo as _;
                let client = generated::client::Client::new("http://127.0.0.1:9/v2", ClientState);
                assert_eq!(client.baseurl(), "http://127.0.0.1:9/v2");
                let client = Client { raw: client };
                assert_eq!(client.raw().baseurl(), "http://127.0.0.1:9/v2");
                for op in generated::operations::Operation::ALL {
                    assert!(!op.meta().operation_id.is_empty());
                }
            }
        }
    )*};
}

fixture!(binary_response, no_content, date_query, open_values, money, error_schema, request_body, paginated);
