// The status bar item: the active document's work item, its stage and its unmet requirements,
// from the `baton/itemStatus` request. Hidden when the server does not know the request
// (MethodNotFound), answers null, or fails.
import * as vscode from "vscode";
import { ErrorCodes, LanguageClient, ResponseError } from "vscode-languageclient/node";
import { ItemStatus, itemStatusRequest } from "./protocol";

/** The text, tooltip and look of the item for one status. What the item lacks at its own stage
 * (`standing`, as its status line's diagnostic says) comes first; else what the next stage needs. */
export function describe(status: ItemStatus): { text: string; tooltip: string; warning: boolean } {
  const stage = status.stage ?? "no stage";
  const standing = status.standing ?? [];
  const unmet = status.unmet ?? [];
  if (standing.length) {
    return {
      text: `$(warning) ${status.item}: ${stage} · ${standing.length} unmet`,
      tooltip: `${status.item} is marked ${stage}, but ${standing.length === 1 ? "this requirement does" : "these requirements do"} not hold:\n${standing.map((u) => `• ${u}`).join("\n")}`,
      warning: true,
    };
  }
  const next = status.next ? ` (${status.next})` : "";
  const text = unmet.length ? `$(checklist) ${status.item}: ${stage} · next${next}: ${unmet.length} unmet` : `$(pass) ${status.item}: ${stage}`;
  const tooltip = unmet.length
    ? `${status.item} is at ${stage}. Unmet before the next stage${next}:\n${unmet.map((u) => `• ${u}`).join("\n")}`
    : `${status.item} is at ${stage}; nothing unmet for the next stage.`;
  return { text, tooltip, warning: false };
}

/** Keeps the status bar item in step with the active editor and the server. */
export class ItemStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("baton.itemStatus", vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[] = [];
  private unsupported = false;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly getClient: () => LanguageClient | undefined) {
    this.item.name = "Baton work item";
    this.item.command = "baton.evidence.show";
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule()),
      vscode.workspace.onDidSaveTextDocument(() => this.schedule()),
      vscode.languages.onDidChangeDiagnostics(() => this.schedule()),
    );
  }

  /** The server (re)started: ask again, it may know the request now. */
  reset(): void {
    this.unsupported = false;
    this.schedule();
  }

  /** Refreshes soon (debounced). */
  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 300);
  }

  private async refresh(): Promise<void> {
    const generation = ++this.generation;
    const client = this.getClient();
    const editor = vscode.window.activeTextEditor;
    if (this.unsupported || !client || !client.isRunning() || !editor || editor.document.uri.scheme !== "file") {
      this.item.hide();
      return;
    }
    let status: ItemStatus | null = null;
    try {
      status = await client.sendRequest(itemStatusRequest, { uri: editor.document.uri.toString() });
    } catch (err) {
      if (err instanceof ResponseError && err.code === ErrorCodes.MethodNotFound) this.unsupported = true;
      status = null;
    }
    if (generation !== this.generation) return;
    if (!status || typeof status.item !== "string") {
      this.item.hide();
      return;
    }
    const { text, tooltip, warning } = describe(status);
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = warning ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    this.item.show();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscriptions.forEach((d) => d.dispose());
    this.item.dispose();
  }
}
