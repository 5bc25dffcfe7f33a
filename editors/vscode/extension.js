// Starts `credential lsp` for .cred files (the command is the `credential.server.command` setting).
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("credential").get("server.command");
  client = new LanguageClient(
    "credential",
    "Credential policy language server",
    { command, args },
    {
      documentSelector: [{ language: "cred" }],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.cred") },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
