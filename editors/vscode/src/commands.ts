// The command palette entries for the server's workflow commands (CONTRACT.md §7). Each asks for
// what it needs, then sends `workspace/executeCommand` with one argument object
// (docs/editor-protocol.md) and shows the server's answer or its error.
import * as path from "path";
import * as vscode from "vscode";
import { ExecuteCommandRequest, LanguageClient, ResponseError } from "vscode-languageclient/node";
import { CommandArgs, ServerCommand } from "./protocol";
import { gitUserName, workflowNames } from "./workflow";

/** The approval roles offered first; any other role can be typed. */
export const APPROVAL_ROLES = ["architecture", "qa", "product", "security"];

/** Gives the running client, or undefined when the server is not running. */
export type ClientSource = () => LanguageClient | undefined;

/** The document the command is about: the active editor's, else the first workspace folder. */
function targetUri(): vscode.Uri | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.scheme === "file") return editor.document.uri;
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

async function readWorkflow(uri: vscode.Uri): Promise<{ stages: string[]; gates: string[] }> {
  const folder = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder) return { stages: [], gates: [] };
  try {
    const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, "baton.toml"));
    return workflowNames(Buffer.from(bytes).toString("utf8"));
  } catch {
    return { stages: [], gates: [] };
  }
}

/** A quick pick over `items` that also accepts whatever the user types. */
export function pickOrType(items: string[], title: string, placeholder: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick();
    qp.title = title;
    qp.placeholder = placeholder;
    const base = items.map((label) => ({ label }));
    qp.items = base;
    qp.onDidChangeValue((value) => {
      const typed = value.trim();
      qp.items = typed && !items.includes(typed) ? [{ label: typed, description: "(typed)" }, ...base] : base;
    });
    let done = false;
    qp.onDidAccept(() => {
      done = true;
      const chosen = qp.selectedItems[0]?.label ?? qp.value.trim();
      qp.hide();
      resolve(chosen || undefined);
    });
    qp.onDidHide(() => {
      qp.dispose();
      if (!done) resolve(undefined);
    });
    qp.show();
  });
}

/** The message to show for a failed command: the server's own words, without a stack. */
export function errorText(command: string, err: unknown): string {
  if (err instanceof ResponseError) return `Baton: ${command} failed: ${err.message}`;
  if (err instanceof Error) return `Baton: ${command} failed: ${err.message}`;
  return `Baton: ${command} failed: ${String(err)}`;
}

/** Sends one server command with a progress notification; shows the result or the error. */
async function send(getClient: ClientSource, command: string, args: CommandArgs, title: string): Promise<unknown> {
  const client = getClient();
  if (!client || !client.isRunning()) {
    void vscode.window.showErrorMessage("Baton: the language server is not running (see Baton: Show Server Output).");
    return undefined;
  }
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Baton: ${title}…`, cancellable: true },
      (_progress, token) => client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] }, token),
    );
    const message = result && typeof result === "object" && typeof (result as { message?: unknown }).message === "string"
      ? (result as { message: string }).message
      : undefined;
    if (message) void vscode.window.showInformationMessage(`Baton: ${message}`);
    return result ?? undefined;
  } catch (err) {
    void vscode.window.showErrorMessage(errorText(command, err));
    return undefined;
  }
}

function noTarget(): undefined {
  void vscode.window.showErrorMessage("Baton: open a file of the workspace first.");
  return undefined;
}

/** Registers the palette commands. */
export function registerWorkflowCommands(context: vscode.ExtensionContext, getClient: ClientSource): void {
  const register = (id: string, run: () => Promise<unknown>) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, run));

  register("baton.stage.advance", async () => {
    const uri = targetUri();
    if (!uri) return noTarget();
    const { stages } = await readWorkflow(uri);
    const stage = await pickOrType(
      ["(next stage)", ...stages],
      "Baton: Advance Stage",
      "The stage to move this document's work item to",
    );
    if (stage === undefined) return undefined;
    const args: CommandArgs = { uri: uri.toString() };
    if (stage !== "(next stage)") args.stage = stage;
    return send(getClient, ServerCommand.advanceStage, args, stage === "(next stage)" ? "advancing" : `advancing to ${stage}`);
  });

  register("baton.gate.run", async () => {
    const uri = targetUri();
    if (!uri) return noTarget();
    const { gates } = await readWorkflow(uri);
    const gate = await pickOrType(gates, "Baton: Run Gate", "The gate to run (from baton.toml)");
    if (!gate) return undefined;
    return send(getClient, ServerCommand.runGate, { uri: uri.toString(), gate }, `running gate ${gate}`);
  });

  register("baton.approval.record", async () => {
    const uri = targetUri();
    if (!uri) return noTarget();
    const role = await pickOrType(APPROVAL_ROLES, "Baton: Record Approval (1/3)", "The role that approves");
    if (!role) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
    const by = await vscode.window.showInputBox({
      title: "Baton: Record Approval (2/3)",
      prompt: `Who approves as ${role}?`,
      value: (await gitUserName(folder)) ?? "",
      validateInput: (v) => (v.trim() ? undefined : "A name is required"),
    });
    if (!by) return undefined;
    const note = await vscode.window.showInputBox({
      title: "Baton: Record Approval (3/3)",
      prompt: "Note (optional)",
    });
    if (note === undefined) return undefined;
    const args: CommandArgs = { uri: uri.toString(), role, by: by.trim() };
    if (note.trim()) args.note = note.trim();
    return send(getClient, ServerCommand.recordApproval, args, `recording ${role} approval`);
  });

  register("baton.agent.dispatch", async () => {
    const uri = targetUri();
    if (!uri) return noTarget();
    const files = await vscode.workspace.findFiles(".claude/agents/*.md", undefined, 200);
    const agents = [...new Set(files.map((f) => path.basename(f.fsPath, ".md")))].sort();
    const role = await pickOrType(agents, "Baton: Dispatch Agent", "The agent to dispatch (.claude/agents/)");
    if (!role) return undefined;
    return send(getClient, ServerCommand.dispatchAgent, { uri: uri.toString(), role }, `dispatching ${role}`);
  });

  register("baton.evidence.show", async () => {
    const uri = targetUri();
    if (!uri) return noTarget();
    const result = await send(getClient, ServerCommand.showEvidence, { uri: uri.toString() }, "reading evidence");
    if (result === undefined || result === null) return undefined;
    const doc = await vscode.workspace.openTextDocument({ language: "json", content: JSON.stringify(result, null, 2) });
    await vscode.window.showTextDocument(doc, { preview: true });
    return result;
  });
}
