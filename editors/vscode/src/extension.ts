// The Baton extension: starts `baton lsp` through vscode-languageclient, restarts it when it
// exits, when the workspace becomes trusted or when its settings change, and adds the workflow
// commands and the work-item status bar item.
import * as vscode from "vscode";
import {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandler,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { resolveBinary } from "./binary";
import { registerWorkflowCommands } from "./commands";
import { ItemStatusBar } from "./status";

/** The documents Baton analyses (the server ignores what it does not read). */
const LANGUAGES = ["typescript", "typescriptreact", "javascript", "javascriptreact", "sql", "markdown", "json", "jsonc"];
const SELECTOR = [
  ...LANGUAGES.map((language) => ({ scheme: "file", language })),
  { scheme: "file", pattern: "**/.claude/handoff/*.signal" },
  { scheme: "file", pattern: "**/baton.toml" },
];

/** Restarts allowed within `RESTART_WINDOW_MS` before Baton gives up and asks the user. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
let traceOutput: vscode.OutputChannel | undefined;
let statusBar: ItemStatusBar | undefined;
let transition: Promise<void> = Promise.resolve();

/** Restarts the server when it exits, unless it keeps crashing. */
class RestartingErrorHandler implements ErrorHandler {
  private readonly restarts: number[] = [];

  error(): ErrorHandlerResult {
    return { action: ErrorAction.Continue };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.restarts.push(now);
    while (this.restarts.length && now - this.restarts[0] > RESTART_WINDOW_MS) this.restarts.shift();
    if (this.restarts.length <= MAX_RESTARTS) {
      output?.appendLine(`[baton] the server exited; restarting (${this.restarts.length}/${MAX_RESTARTS})`);
      statusBar?.reset();
      return { action: CloseAction.Restart, handled: true };
    }
    void vscode.window
      .showErrorMessage(`Baton: the server exited ${MAX_RESTARTS + 1} times in 3 minutes and was not restarted.`, "Restart", "Show Output")
      .then((choice) => {
        if (choice === "Restart") void vscode.commands.executeCommand("baton.server.restart");
        if (choice === "Show Output") output?.show();
      });
    return { action: CloseAction.DoNotRestart, handled: true };
  }
}

/** `initializationOptions.trusted`: the workspace folders' URIs when trusted, else `false`. */
function trustedFolders(): string[] | false {
  if (!vscode.workspace.isTrusted) return false;
  return (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.toString());
}

/** `baton.path` as the user set it; in an untrusted workspace only the user-level value counts. */
function configuredPath(config: vscode.WorkspaceConfiguration): string | null | undefined {
  if (vscode.workspace.isTrusted) return config.get<string | null>("path");
  return config.inspect<string | null>("path")?.globalValue ?? null;
}

function createClient(context: vscode.ExtensionContext, binary: string): LanguageClient {
  const serverOptions: ServerOptions = {
    run: { command: binary, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command: binary, args: ["lsp"], transport: TransportKind.stdio, options: { env: { ...process.env, BATON_LOG: "debug" } } },
  };
  output ??= vscode.window.createOutputChannel("Baton");
  traceOutput ??= vscode.window.createOutputChannel("Baton Trace");
  const clientOptions: LanguageClientOptions = {
    documentSelector: SELECTOR,
    // Evaluated at every (re)start, so a restart after trust is granted (or a folder is added)
    // passes the trusted folders. Trust is per folder on the server (docs/editor-protocol.md):
    // VS Code trusts a window as a whole, so every workspace folder, or none.
    initializationOptions: () => ({ trusted: trustedFolders() }),
    outputChannel: output,
    traceOutputChannel: traceOutput,
    errorHandler: new RestartingErrorHandler(),
  };
  // The id "baton" makes vscode-languageclient read the `baton.trace.server` setting.
  return new LanguageClient("baton", "Baton", serverOptions, clientOptions);
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const config = vscode.workspace.getConfiguration("baton");
  if (!config.get<boolean>("enable", true)) {
    output?.appendLine("[baton] baton.enable is false; the server is not started");
    return;
  }
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const resolved = resolveBinary(configuredPath(config), context.extensionPath, root, vscode.workspace.isTrusted);
  if (!resolved.ok) {
    const choice = await vscode.window.showErrorMessage(`Baton: ${resolved.reason}`, "Open Settings");
    if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", "baton.path");
    return;
  }
  const next = createClient(context, resolved.path);
  output?.appendLine(`[baton] starting ${resolved.path} lsp (from ${resolved.source}; trusted: ${JSON.stringify(trustedFolders())})`);
  client = next;
  try {
    await next.start();
  } catch (err) {
    output?.appendLine(`[baton] the server did not start: ${String(err)}`);
    void vscode.window.showErrorMessage(`Baton: the server did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  statusBar?.reset();
}

async function stop(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) {
    try {
      await current.stop(5000);
    } catch (err) {
      output?.appendLine(`[baton] stopping the server failed: ${String(err)}`);
    }
  }
}

/** Runs start/stop steps one after another, never interleaved. */
function queue(step: () => Promise<void>): Promise<void> {
  transition = transition.then(step, step);
  return transition;
}

/** Entry point. */
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Baton");
  statusBar = new ItemStatusBar(() => client);
  context.subscriptions.push(output, statusBar);
  registerWorkflowCommands(context, () => client);
  context.subscriptions.push(
    vscode.commands.registerCommand("baton.server.restart", () =>
      queue(async () => {
        await stop();
        await start(context);
      }),
    ),
    vscode.commands.registerCommand("baton.server.showOutput", () => output?.show()),
    vscode.workspace.onDidGrantWorkspaceTrust(() =>
      queue(async () => {
        output?.appendLine("[baton] the workspace is now trusted; restarting the server");
        await stop();
        await start(context);
      }),
    ),
    // The trusted folders are told at start: a folder added to a trusted window needs a restart.
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (!vscode.workspace.isTrusted) return;
      void queue(async () => {
        await stop();
        await start(context);
      });
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("baton.path") || e.affectsConfiguration("baton.enable")) {
        void queue(async () => {
          await stop();
          await start(context);
        });
      }
    }),
  );
  await queue(() => start(context));
}

/** Stops the server when VS Code unloads the extension. */
export function deactivate(): Promise<void> {
  return queue(stop);
}
