// The editor protocol beyond LSP that Baton's clients speak (docs/editor-protocol.md).
import { RequestType } from "vscode-languageclient/node";

/** Params of `baton/itemStatus`. */
export interface ItemStatusParams {
  uri: string;
}

/** Result of `baton/itemStatus`: the work item a document belongs to, or null. */
export interface ItemStatus {
  item: string;
  stage: string | null;
  /** Unmet before the next stage. */
  unmet: string[];
  /** The next stage, if any. */
  next?: string | null;
  /** What the item lacks to stand at its stage (its status line's diagnostic says the same). */
  standing?: string[];
}

/** One entry of `baton/workItems`. */
export interface WorkItem {
  item: string;
  uri: string;
  path: string;
  title?: string | null;
  stage?: string | null;
}

/** `baton/workItems`: the work items of the folder of `uri`. */
export const workItemsRequest = new RequestType<{ uri: string }, WorkItem[] | null, void>("baton/workItems");

/** `baton/itemStatus`: which work item the document belongs to, its stage and unmet requirements. */
export const itemStatusRequest = new RequestType<ItemStatusParams, ItemStatus | null, void>("baton/itemStatus");

/** The one argument of every `baton.*` workspace command. */
export interface CommandArgs {
  uri: string;
  item?: string;
  stage?: string;
  gate?: string;
  role?: string;
  by?: string;
  note?: string;
}

/** The server-side command names (CONTRACT.md §7). */
export const ServerCommand = {
  advanceStage: "baton.advanceStage",
  runGate: "baton.runGate",
  recordApproval: "baton.recordApproval",
  createHandoff: "baton.createHandoff",
  dispatchAgent: "baton.dispatchAgent",
  showEvidence: "baton.showEvidence",
} as const;
