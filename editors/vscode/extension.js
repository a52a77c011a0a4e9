// Starts `tapc lsp` for .tap files: diagnostics, hover, completion, go to
// definition, references, rename, quick fixes, formatting, outline and the
// RTO/RPO budget as inlay hints all come from the server.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("tap").get("server.path", "tapc");
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "tap",
    "tapc language server",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "tap" }, { scheme: "untitled", language: "tap" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
