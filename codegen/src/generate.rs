//! From a checked spec to formatted Rust files.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::{ToTokens, quote};

use crate::error::{Error, Result};
use crate::lint::{self, Severity};
use crate::spec::Spec;
use crate::{builders, calls, drift_schema, headers, lean, metadata, rates, values};

/// One file of generated output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root, with `/` separators.
    pub path: String,
    /// Full contents, LF line endings, ending in a newline.
    pub contents: String,
}

/// What one generation produced.
#[derive(Clone, Debug)]
pub struct Output {
    /// The files, in a fixed order.
    pub files: Vec<GeneratedFile>,
    /// Number of operations.
    pub operations: usize,
    /// Number of component schemas (each becomes a Rust type).
    pub types: usize,
    /// Lint warnings (errors stop generation before this point).
    pub warnings: Vec<lint::Diagnostic>,
}

/// Where the generated files go and what the header says.
#[derive(Clone, Debug)]
pub struct Options {
    /// Directory of the generated module, relative to the workspace root.
    pub out_dir: String,
    /// The spec path as it should appear in the header.
    pub spec_label: String,
    /// The Rust path of the module that holds `ClientState`, `metadata` and `generated`:
    /// `crate` for zoom-billing; a fixture compiled inside a test crate names its own module.
    pub module_root: String,
}

impl Options {
    /// The settings for this repository's spec and crate.
    pub fn project() -> Self {
        Options {
            out_dir: crate::GENERATED_DIR.to_owned(),
            spec_label: crate::SPEC_PATH.to_owned(),
            module_root: "crate".to_owned(),
        }
    }
}

/// The progenitor settings this project generates with.
///
/// Builder style, so an optional parameter added later is not a breaking
/// change; hooks expected, so the crate cannot compile without the runtime's
/// `ClientHooks` impl; an inner type that carries the runtime's state.
pub fn settings(spec: &Spec, module_root: &syn::Path) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(#module_root::ClientState))
        .with_derive("PartialEq")
        .with_map_type("::std::collections::BTreeMap");
    let root = quote!(#module_root).to_string().replace(' ', "");
    if spec.get("/components/schemas/Money").is_some() {
        // Exact: decoded from the number's own text (zoom-billing/src/money.rs).
        settings.with_replacement(
            "Money",
            format!("{root}::Money"),
            [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
        );
    }
    // A date Zoom sends may be a date-time (zoom-billing/src/dates.rs). Matched on type and
    // format only (typify ignores descriptions), so each field keeps its own docs.
    let zoom_date = schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        format: Some(ZOOM_DATE_FORMAT.to_owned()),
        ..Default::default()
    };
    settings.with_conversion(
        zoom_date,
        format!("{root}::ZoomDate"),
        [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
    );
    for open in values::collect(&spec.source.value) {
        let path = format!("{}::generated::values::{}", quote!(#module_root), open.name);
        settings.with_replacement(&open.name, path, [TypeImpl::FromStr, TypeImpl::Display].into_iter());
    }
    settings
}

/// The `format` of a date in a response: `yyyy-mm-dd` or a date-time, as Zoom sends them.
pub const ZOOM_DATE_FORMAT: &str = "zoom-date";

/// Check the spec, then generate every file.
pub fn generate(spec: &Spec, options: &Options) -> Result<Output> {
    let findings = lint::lint(spec);
    let (errors, warnings): (Vec<_>, Vec<_>) = findings.into_iter().partition(|d| d.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(Error::Rules { file: spec.file.clone(), diagnostics: errors });
    }

    let module_root = module_root(spec, &options.module_root)?;
    let client = run_progenitor_in(spec, &module_root)?;
    let ops = metadata::extract(&spec.source.value);
    let open = values::collect(&spec.source.value);
    let values_tokens = values::render(&open).map_err(|source| Error::OpenEnum { file: spec.file.clone(), source })?;
    let calls_tokens = calls::render(&client, &ops, &module_root)
        .map_err(|source| Error::Calls { file: spec.file.clone(), source })?;
    let schemas = drift_schema::compile(&spec.source.value)
        .map_err(|message| Error::Generator { file: spec.file.clone(), message })?;
    let label_rates =
        rates::extract(&spec.source.value).map_err(|message| Error::Generator { file: spec.file.clone(), message })?;

    let header = |what: &str| {
        format!(
            "// @generated by `cargo xtask generate` from {spec}: {what}.\n\
             // Do not edit by hand: change the spec (or codegen/) and run `cargo xtask generate`.\n\n",
            spec = options.spec_label
        )
    };
    let dir = &options.out_dir;
    // Only a spec with `x-zoom-label-rates` has a rate table (the fixtures have none).
    let rates_mod = if label_rates.is_empty() { "" } else { "pub mod rates;\n" };
    let mod_rs = format!(
        "{}//! Code generated from the spec. Everything here is replaced on the next\n\
         //! `cargo xtask generate`; hand-written code lives beside this module.\n\n\
         pub mod calls;\npub mod client;\npub mod operations;\n{rates_mod}\
         // Only spec-drift observation reads the compiled schemas: a feature of its own.\n\
         #[cfg(feature = \"drift\")]\npub mod schemas;\npub mod values;\n",
        header("module index")
    );
    let mut files = vec![
        GeneratedFile { path: format!("{dir}/mod.rs"), contents: mod_rs },
        GeneratedFile {
            path: format!("{dir}/calls.rs"),
            contents: format!(
                "{}{}",
                header("the public call layer around the progenitor client"),
                format_tokens("calls.rs", calls_tokens)?
            ),
        },
        GeneratedFile {
            path: format!("{dir}/client.rs"),
            contents: format!("{}{}", header("the progenitor client"), format_tokens("client.rs", client)?),
        },
        GeneratedFile {
            path: format!("{dir}/operations.rs"),
            contents: format!(
                "{}{}",
                header("the operation table"),
                format_tokens("operations.rs", metadata::render(&ops, &module_root))?
            ),
        },
        GeneratedFile {
            path: format!("{dir}/schemas.rs"),
            contents: format!(
                "{}{}",
                header("response schemas for drift observation"),
                format_tokens("schemas.rs", drift_schema::render(&schemas, &module_root))?
            ),
        },
        GeneratedFile {
            path: format!("{dir}/values.rs"),
            contents: format!("{}{}", header("open string enums"), format_tokens("values.rs", values_tokens)?),
        },
    ];
    if !label_rates.is_empty() {
        let tokens = rates::render(&label_rates, &module_root);
        let contents = format!("{}{}", header("the label rate table"), format_tokens("rates.rs", tokens)?);
        files.insert(4, GeneratedFile { path: format!("{dir}/rates.rs"), contents });
    }
    let types = spec.openapi.components.as_ref().map(|c| c.schemas.len()).unwrap_or(0);
    Ok(Output { files, operations: ops.len(), types, warnings })
}

/// `Options::module_root` as a path.
fn module_root(spec: &Spec, text: &str) -> Result<syn::Path> {
    syn::parse_str(text).map_err(|e| Error::Generator {
        file: spec.file.clone(),
        message: format!("module_root {text:?} is not a Rust path: {e}"),
    })
}

/// Generate the client tokens for zoom-billing (module root `crate`), turning progenitor's
/// panics into errors.
pub fn run_progenitor(spec: &Spec) -> Result<TokenStream> {
    run_progenitor_in(spec, &syn::parse_quote!(crate))
}

/// [`run_progenitor`] for code whose `ClientState` and `generated::values` live in
/// `module_root`.
pub fn run_progenitor_in(spec: &Spec, module_root: &syn::Path) -> Result<TokenStream> {
    let settings = settings(spec, module_root);
    let result = catch_unwind(AssertUnwindSafe(|| Generator::new(&settings).generate_tokens(&spec.openapi)));
    match result {
        Ok(Ok(tokens)) => {
            // Builders only for what request bodies reach (see `builders`).
            let mut file = syn::parse2::<syn::File>(tokens)
                .map_err(|e| Error::Format { file: "client.rs".to_owned(), message: e.to_string() })?;
            builders::prune(&mut file);
            // Allocations per call that nothing reads, and awaits per operation (see `lean`).
            lean::lighten(&mut file, module_root);
            let left = headers::drop_api_version(&mut file);
            if !left.is_empty() {
                return Err(Error::Generator {
                    file: spec.file.clone(),
                    message: format!(
                        "progenitor's `api-version` header has a shape codegen/src/headers.rs does not know; \
                         it is still sent by {}",
                        left.join(", ")
                    ),
                });
            }
            Ok(file.into_token_stream())
        }
        Ok(Err(err)) => Err(Error::Generator { file: spec.file.clone(), message: err.to_string() }),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(Error::Generator { file: spec.file.clone(), message: format!("progenitor panicked: {message}") })
        }
    }
}

/// prettyplease, blank lines between items, and `/// ` doc comments.
pub fn format_tokens(file: &str, tokens: TokenStream) -> Result<String> {
    let syntax = syn::parse2::<syn::File>(tokens)
        .map_err(|e| Error::Format { file: file.to_owned(), message: e.to_string() })?;
    let text = prettyplease::unparse(&syntax);
    let text = progenitor_impl::space_out_items(text)
        .map_err(|e| Error::Format { file: file.to_owned(), message: e.to_string() })?;
    let mut out = String::with_capacity(text.len() + text.len() / 50);
    for line in text.lines() {
        let trimmed = line.trim_start();
        // prettyplease writes `///Text`; rustdoc does not care, readers do.
        if let Some(rest) = trimmed.strip_prefix("///")
            && !rest.is_empty()
            && !rest.starts_with([' ', '/'])
        {
            out.push_str(&line[..line.len() - trimmed.len()]);
            out.push_str("/// ");
            out.push_str(rest);
        } else {
            out.push_str(line.trim_end());
        }
        out.push('\n');
    }
    Ok(out)
}
