// The command palette entries for the server's workflow commands (CONTRACT.md §7). Each asks for
// what it needs, then sends `workspace/executeCommand` with one argument object
// (docs/editor-protocol.md) and shows the server's answer or its error.
import * as path from "path";
import * as vscode from "vscode";
import { ExecuteCommandRequest, LanguageClient, ResponseError } from "vscode-languageclient/node";
import { CommandArgs, ServerCommand, itemStatusRequest, workItemsRequest } from "./protocol";
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

const TRUST_BUTTON = "Manage Workspace Trust";

/** Says, in the user's words, why an untrusted workspace runs no workflow command; offers trust. */
function explainUntrusted(): void {
  void vscode.window
    .showWarningMessage(
      "Baton: this workspace is not trusted, so Baton runs none of the gates, agents or stage changes it configures. Trust the workspace to use the workflow commands.",
      TRUST_BUTTON,
    )
    .then((choice) => {
      if (choice === TRUST_BUTTON) void vscode.commands.executeCommand("workbench.trust.manage");
    });
}

/** True when the workspace is trusted; otherwise explains why nothing runs (before any input is asked for). */
function trusted(): boolean {
  if (vscode.workspace.isTrusted) return true;
  explainUntrusted();
  return false;
}

/** Sends one server command; the server reports progress (one cancellable notification per
 * gate or agent). Shows the result or the error. */
async function send(getClient: ClientSource, command: string, args: CommandArgs, _title: string): Promise<unknown> {
  const client = getClient();
  if (!client || !client.isRunning()) {
    void vscode.window.showErrorMessage("Baton: the language server is not running (see Baton: Show Server Output).");
    return undefined;
  }
  try {
    const result = await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] });
    const message = result && typeof result === "object" && typeof (result as { message?: unknown }).message === "string"
      ? (result as { message: string }).message
      : undefined;
    if (message) void vscode.window.showInformationMessage(`Baton: ${message}`);
    return result ?? undefined;
  } catch (err) {
    if (err instanceof ResponseError && err.message.includes("is not trusted")) {
      explainUntrusted();
      return undefined;
    }
    void vscode.window.showErrorMessage(errorText(command, err));
    return undefined;
  }
}

/**
 * The work item a command is about: the document's own, else one the user picks from the
 * workspace's work items (a command run from a code file). `null`: the user cancelled.
 */
async function chooseItem(getClient: ClientSource, uri: vscode.Uri, title: string): Promise<string | undefined | null> {
  const client = getClient();
  if (!client || !client.isRunning()) return undefined;
  try {
    const own = await client.sendRequest(itemStatusRequest, { uri: uri.toString() });
    if (own && typeof own.item === "string") return undefined;
    const items = (await client.sendRequest(workItemsRequest, { uri: uri.toString() })) ?? [];
    if (!items.length) {
      void vscode.window.showWarningMessage("Baton: this workspace has no work items (specs or workflow documents).");
      return null;
    }
    const picked = await vscode.window.showQuickPick(
      items.map((i) => ({ label: i.item, description: i.stage ?? "no stage", detail: i.title ? `${i.title} — ${i.path}` : i.path })),
      { title, placeHolder: "This file is no work item: which work item?" },
    );
    return picked ? picked.label : null;
  } catch {
    return undefined; // an older server: let it answer
  }
}

/** Evidence shown in read-only virtual documents (`baton-evidence:`), never an Untitled file. */
export class EvidenceDocuments implements vscode.TextDocumentContentProvider {
  static readonly scheme = "baton-evidence";
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? "";
  }

  /** Opens (or refreshes) the evidence of `item`. */
  async show(item: string, value: unknown): Promise<void> {
    const uri = vscode.Uri.from({ scheme: EvidenceDocuments.scheme, path: `/${item} evidence.json` });
    this.contents.set(uri.toString(), JSON.stringify(value, null, 2));
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, "json");
    await vscode.window.showTextDocument(doc, { preview: true });
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
  const evidence = new EvidenceDocuments();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(EvidenceDocuments.scheme, evidence));

  register("baton.stage.advance", async () => {
    if (!trusted()) return undefined;
    const uri = targetUri();
    if (!uri) return noTarget();
    const item = await chooseItem(getClient, uri, "Baton: Advance Stage");
    if (item === null) return undefined;
    const { stages } = await readWorkflow(uri);
    const stage = await pickOrType(
      ["(next stage)", ...stages],
      "Baton: Advance Stage",
      "The stage to move this document's work item to",
    );
    if (stage === undefined) return undefined;
    const args: CommandArgs = { uri: uri.toString() };
    if (item) args.item = item;
    if (stage !== "(next stage)") args.stage = stage;
    return send(getClient, ServerCommand.advanceStage, args, stage === "(next stage)" ? "advancing" : `advancing to ${stage}`);
  });

  register("baton.gate.run", async () => {
    if (!trusted()) return undefined;
    const uri = targetUri();
    if (!uri) return noTarget();
    const item = await chooseItem(getClient, uri, "Baton: Run Gate");
    if (item === null) return undefined;
    const { gates } = await readWorkflow(uri);
    const gate = await pickOrType(gates, "Baton: Run Gate", "The gate to run (from baton.toml)");
    if (!gate) return undefined;
    return send(getClient, ServerCommand.runGate, { uri: uri.toString(), gate, ...(item ? { item } : {}) }, `running gate ${gate}`);
  });

  register("baton.approval.record", async () => {
    if (!trusted()) return undefined;
    const uri = targetUri();
    if (!uri) return noTarget();
    const item = await chooseItem(getClient, uri, "Baton: Record Approval");
    if (item === null) return undefined;
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
    if (item) args.item = item;
    if (note.trim()) args.note = note.trim();
    return send(getClient, ServerCommand.recordApproval, args, `recording ${role} approval`);
  });

  register("baton.agent.dispatch", async () => {
    if (!trusted()) return undefined;
    const uri = targetUri();
    if (!uri) return noTarget();
    const item = await chooseItem(getClient, uri, "Baton: Dispatch Agent");
    if (item === null) return undefined;
    const files = await vscode.workspace.findFiles(".claude/agents/*.md", undefined, 200);
    const agents = [...new Set(files.map((f) => path.basename(f.fsPath, ".md")))].sort();
    const role = await pickOrType(agents, "Baton: Dispatch Agent", "The agent to dispatch (.claude/agents/)");
    if (!role) return undefined;
    return send(getClient, ServerCommand.dispatchAgent, { uri: uri.toString(), role, ...(item ? { item } : {}) }, `dispatching ${role}`);
  });

  register("baton.evidence.show", async () => {
    if (!trusted()) return undefined;
    const uri = targetUri();
    if (!uri) return noTarget();
    const item = await chooseItem(getClient, uri, "Baton: Show Evidence");
    if (item === null) return undefined;
    const result = await send(getClient, ServerCommand.showEvidence, { uri: uri.toString(), ...(item ? { item } : {}) }, "reading evidence");
    if (result === undefined || result === null) return undefined;
    const name = item ?? (typeof (result as { item?: unknown }).item === "string" ? (result as { item: string }).item : "work item");
    await evidence.show(name, result);
    return result;
  });
}
