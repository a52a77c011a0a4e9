"""`tapc lsp` end to end, driven by pytest-lsp (a client nobody on the project
wrote), with the recorded capabilities of VS Code and Neovim.

Run by .ci/run: `TAPC=target/release/tapc pytest tests/lsp`. pytest-lsp checks
every answer against the client's capabilities; the positions asserted here
are UTF-16 columns, on a line with an emoji before the error.
"""

import os
import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parents[2]
TAPC = os.environ.get("TAPC", str(ROOT / "target" / "release" / "tapc"))
TRADING = (ROOT / "examples" / "trading.tap").read_text()
URI = (ROOT / "trading.tap").as_uri()


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[TAPC, "lsp"]),
    params=["visual-studio-code", "neovim"],
)
async def client(lsp_client: LanguageClient, request):
    params = types.InitializeParams(capabilities=client_capabilities(request.param))
    result = await lsp_client.initialize_session(params)
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    yield
    await lsp_client.shutdown_session()


def position(text: str, needle: str, delta: int = 0) -> types.Position:
    """The 0-based line and UTF-16 column of the first `needle` in `text`."""
    at = text.index(needle)
    line = text.count("\n", 0, at)
    start = text.rfind("\n", 0, at) + 1
    return types.Position(line, len(text[start:at].encode("utf-16-le")) // 2 + delta)


def open_doc(client: LanguageClient, text: str, version: int = 1):
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="tap", version=version, text=text
            )
        )
    )


@pytest.mark.asyncio
async def test_diagnostics_on_open_and_change_in_utf16(client: LanguageClient):
    text = TRADING.replace('env = "${suffix}"', 'env = "\U0001f642${sufix}"')
    open_doc(client, text)
    await client.wait_for_notification("textDocument/publishDiagnostics")
    diags = client.diagnostics[URI]
    e102 = next(d for d in diags if d.code == "E102")
    start = position(text, "sufix}")
    # The emoji is one character but two UTF-16 units.
    line = text.splitlines()[start.line]
    assert start.character == len(line[: line.index("sufix")]) + 1
    assert e102.range == types.Range(start, types.Position(start.line, start.character + 5))
    assert e102.severity == types.DiagnosticSeverity.Error
    assert e102.message.endswith("help: did you mean `suffix`?")
    assert e102.code_description.href.endswith("/src/explain/E102.md")
    # The fix clears it.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=TRADING)],
        )
    )
    await client.wait_for_notification("textDocument/publishDiagnostics")
    assert [d.code for d in client.diagnostics[URI]] == ["W402", "W202"]


@pytest.mark.asyncio
async def test_hover_completion_definition_formatting(client: LanguageClient):
    open_doc(client, TRADING)
    await client.wait_for_notification("textDocument/publishDiagnostics")
    doc = types.TextDocumentIdentifier(uri=URI)

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=position(TRADING, "rto"))
    )
    assert "**total 4m36s** within rto 5m" in hover.contents.value

    items = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=doc, position=position(TRADING, "warm_standby")
        )
    )
    labels = [i.label for i in (items.items if hasattr(items, "items") else items)]
    assert "pilot_light" in labels and "active_active" in labels

    target = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=position(TRADING, "ledger, sessions"))
    )
    assert target.range.start == position(TRADING, "ledger: aurora")

    messy = TRADING.replace("  rto      = 5m", "rto=5m")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=messy)],
        )
    )
    await client.wait_for_notification("textDocument/publishDiagnostics")
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc, options=types.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert len(edits) == 1 and edits[0].new_text == TRADING


@pytest.mark.asyncio
async def test_diagnostics_of_an_imported_file_are_published_for_it(client: LanguageClient):
    """A program in two files: the error is in the imported file, and is
    published for that file's URI, at its place there."""
    case = ROOT / "tests" / "imports" / "error_in_import"
    main, services = case / "main.tap", case / "services.tap"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=main.as_uri(), language_id="tap", version=1, text=main.read_text()
            )
        )
    )
    while services.as_uri() not in client.diagnostics:
        await client.wait_for_notification("textDocument/publishDiagnostics")
    assert not client.diagnostics[main.as_uri()]
    (e201,) = client.diagnostics[services.as_uri()]
    assert e201.code == "E201"
    assert e201.range.start == position(services.read_text(), "15 #")
