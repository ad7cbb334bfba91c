export type MigrationStatusDTO = {
  id: string;
  runId: string;
  step: string;
  state: string;
  checkedAt: string;
};

export interface MigrationRunDTO {
  id: string;
  workspaceId: string;
  startedBy: string | null;
  status: string;
  createdAt: string;
}

export type ValidationInput = {
  workspaceId: string;
  migration: string;
  passed: boolean;
  summary: Record<string, string | number | boolean>;
};
