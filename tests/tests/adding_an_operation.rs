//! docs/changing-the-spec.md, "Adding an operation", as a test: a paginated list and a
//! download added to a copy of the spec, and nothing else, regenerate into the whole
//! surface (builder, stream, sinks, metadata with its limits, the command line's
//! subcommands), and the lint accepts them.
//! Generation runs in memory: no file of the repository is written.

use zoom_billing_codegen::lint::{self, Severity};
use zoom_billing_codegen::{GENERATED_DIR, Options, SPEC_PATH, Spec, generate, workspace_root};

/// Two new path items, as a maintainer would paste them under `paths:`.
const NEW_PATHS: &str = r##"  /accounts/{accountId}/billing/payments:
    get:
      operationId: list_billing_payments
      x-zoom-operation-id: ListBillingPayments
      summary: List billing payments
      description: |
        List the payments of a sub account.

        **Rate limit:** Heavy; one request every 10 minutes, 20 a day per account.
      tags:
        - Billing
      security:
        - openapi_oauth: ["billing:master"]
      x-zoom-rate-limit:
        label: Heavy
        min_interval: 600s
        daily_limit: 20
        per: account_id
      x-zoom-pagination:
        items: payments
      parameters:
        - $ref: "#/components/parameters/AccountId"
        - name: page_size
          in: query
          required: false
          description: Records per page.
          schema:
            type: integer
            minimum: 1
            maximum: 300
        - $ref: "#/components/parameters/NextPageToken"
      responses:
        "200":
          description: A page of payments.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/PaymentList"
              example:
                next_page_token: ""
                payments:
                  - id: pay-1
                    amount: 2039.10
                    paid_on: "2026-11-30"
                    method: card
        "400":
          $ref: "#/components/responses/BadRequest"
  /accounts/{accountId}/billing/payments/{paymentId}/receipt:
    get:
      operationId: download_payment_receipt
      x-zoom-operation-id: DownloadPaymentReceipt
      summary: Download a payment receipt
      description: Download the receipt of a payment as a PDF file.
      tags:
        - Billing
      security:
        - openapi_oauth: ["billing:master"]
      x-zoom-rate-limit:
        label: Heavy
        min_interval: 1800s
        per: account
      parameters:
        - $ref: "#/components/parameters/AccountId"
        - name: paymentId
          in: path
          required: true
          description: The payment ID, from `list_billing_payments`.
          schema:
            type: string
      responses:
        "200":
          description: The receipt.
          content:
            application/pdf:
              schema:
                type: string
                format: binary
        "404":
          $ref: "#/components/responses/NotFound"
"##;

/// The new schemas, under `components: schemas:`.
const NEW_SCHEMAS: &str = r##"    PaymentList:
      type: object
      description: A page of payments.
      properties:
        next_page_token:
          type: string
        payments:
          type: array
          items:
            $ref: "#/components/schemas/Payment"
    Payment:
      type: object
      description: One payment.
      properties:
        id:
          type: string
        amount:
          $ref: "#/components/schemas/Money"
        paid_on:
          type: string
          format: zoom-date
        method:
          $ref: "#/components/schemas/PaymentMethod"
    PaymentMethod:
      type: string
      description: How the payment was made.
      x-extensible-enum: [card, invoice]
"##;

/// The project's spec with `paths` and [`NEW_SCHEMAS`] pasted in.
fn spec_with(paths: &str) -> Spec {
    let text = std::fs::read_to_string(workspace_root().unwrap().join(SPEC_PATH)).unwrap();
    let text = text.replacen("\npaths:\n", &format!("\npaths:\n{paths}"), 1);
    let text = text.replacen("\n  schemas:\n", &format!("\n  schemas:\n{NEW_SCHEMAS}"), 1);
    Spec::parse(SPEC_PATH, &text).unwrap_or_else(|e| panic!("{e}"))
}

fn spec_with_new_operations() -> Spec {
    spec_with(NEW_PATHS)
}

/// The generated directory's files, to show the test leaves them alone.
fn generated_files() -> Vec<(String, String)> {
    let dir = workspace_root().unwrap().join(GENERATED_DIR);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn the_lint_accepts_a_well_formed_new_operation() {
    let findings = lint::lint(&spec_with_new_operations());
    let errors: Vec<_> = findings.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_lint_asks_a_list_that_takes_a_page_token_for_its_pagination() {
    let without = NEW_PATHS.replace("      x-zoom-pagination:\n        items: payments\n", "");
    let findings = lint::lint(&spec_with(&without));
    let found = findings.iter().find(|d| d.rule == "operation-pagination").expect("operation-pagination");
    assert!(found.message.contains("x-zoom-pagination"), "{}", found.message);
    assert!(found.line > 0);
}

#[test]
fn a_new_paginated_list_and_download_regenerate_into_the_whole_surface() {
    let before = generated_files();
    let output = generate(&spec_with_new_operations(), &Options::project()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(generated_files(), before, "generation in memory writes nothing");
    let file = |name: &str| {
        let path = format!("{GENERATED_DIR}/{name}");
        output.files.iter().find(|f| f.path == path).map(|f| f.contents.clone()).unwrap()
    };
    let calls = file("calls.rs");
    let operations = file("operations.rs");
    let client = file("client.rs");

    // The list: a method, a builder with its parameters, a stream of typed items.
    assert!(calls.contains("pub fn list_billing_payments(&self) -> builder::ListBillingPayments<'_>"));
    assert!(calls.contains("pub fn stream(self) -> crate::paginate::Pages<'a, types::Payment>"), "no stream");
    assert!(calls.contains("Ok((page.payments, page.next_page_token))"));
    let list = &calls[calls.find("impl<'a> ListBillingPayments<'a>").unwrap()..];
    let page_size = &list[list.find("pub fn page_size").unwrap()..];
    let page_size = &page_size[..page_size.find("self\n        }").unwrap()];
    assert!(page_size.contains("\"from 1 to 300\""), "the constraint in words: {page_size}");
    assert!(page_size.contains("crate::request::within("), "the maximum is checked: {page_size}");
    // Exact money, tolerant dates and an open enum in the item type.
    assert!(client.contains("pub amount: ::std::option::Option<crate::Money>"));
    assert!(client.contains("pub paid_on: ::std::option::Option<crate::ZoomDate>"));
    assert!(file("values.rs").contains("PaymentMethod"));

    // The download: sinks that name it.
    let receipt = &calls[calls.find("pub struct DownloadPaymentReceipt").unwrap()..];
    let receipt = &receipt[..receipt.find("impl<'a> ::std::future::IntoFuture").unwrap()];
    assert!(receipt.contains("pub async fn save_to("), "{receipt}");
    assert!(receipt.contains("pub async fn write_to<W>("), "{receipt}");
    assert!(receipt.contains("Operation::DownloadPaymentReceipt,\n                    self.send()"), "{receipt}");

    // The metadata: limits and pagination, from the spec alone.
    let meta = &operations[operations.find("operation: Operation::ListBillingPayments").unwrap()..];
    let meta = &meta[..meta.find("},\n    OperationMeta").unwrap_or(meta.len())];
    assert!(meta.contains("min_interval: Some(::std::time::Duration::from_secs(600u64))"), "{meta}");
    assert!(meta.contains("daily_limit: Some(20u32)"), "{meta}");
    assert!(meta.contains("per: RateLimitScope::AccountId"), "{meta}");
    assert!(meta.contains("items: \"payments\""), "{meta}");
    assert_eq!(output.operations, before_count() + 2);
}

#[test]
fn a_new_operation_is_a_subcommand_of_the_command_line() {
    let files =
        zoom_billing_codegen::cli::generate(&spec_with_new_operations(), SPEC_PATH).unwrap_or_else(|e| panic!("{e}"));
    let commands = &files[0].contents;
    assert_eq!(files[0].path, "zoom-billing-cli/src/generated/commands.rs");
    let list = &commands[commands.find("Command::new(\"list-billing-payments\")").expect("a subcommand")..];
    let list = &list[..list[1..].find("Command::new(").map_or(list.len(), |end| end + 1)];
    assert!(list.contains(".about(\"List billing payments\")"), "{list}");
    assert!(list.contains("long: \"account-id\""), "{list}");
    // The spec's bounds, checked by clap; pages followed with --all.
    let page_size = &list[list.find("long: \"page-size\"").unwrap()..];
    assert!(page_size.contains("min: Some(1i64)") && page_size.contains("max: Some(300i64)"), "{page_size}");
    assert!(list.contains("run::all_arg()"), "{list}");
    let receipt = &commands[commands.find("Command::new(\"download-payment-receipt\")").expect("a subcommand")..];
    let receipt = &receipt[..receipt[1..].find("Command::new(").map_or(receipt.len(), |end| end + 1)];
    assert!(receipt.contains("long: \"payment-id\"") && receipt.contains("run::out_arg()"), "{receipt}");
    // The dispatch sends through the client's builder, with the setter's own types.
    let arm = &commands[commands.find("\"list-billing-payments\" => {").expect("a dispatch arm")..];
    assert!(arm.contains("client.list_billing_payments().options(ctx.options())"), "{arm}");
    assert!(arm.contains("run::pages(ctx, call.stream())"), "{arm}");
    assert!(commands.contains("|path| call.save_to(path)"));
}

fn before_count() -> usize {
    zoom_billing::Operation::ALL.len()
}
