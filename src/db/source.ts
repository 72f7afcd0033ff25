/** A validated agents source: a table, a view or a set-returning function without arguments. */
export interface AgentsSource {
  /** The SQL to put after FROM, every name quoted as an identifier. */
  sql: string;
  /** As the operator wrote it, for messages. */
  text: string;
}

const PART = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")`;
const SOURCE = new RegExp(`^(${PART})(?:\\.(${PART}))?(\\(\\))?$`);

/**
 * Parses `agentsSource`: `agents`, `schema.view`, `get_agent_export_rows()` or `"Quoted Name"`.
 * Names are quoted as identifiers; nothing the operator typed is spliced into SQL as text.
 * Unquoted names fold to lower case, as PostgreSQL folds them.
 */
export function parseAgentsSource(text: string): AgentsSource {
  const match = SOURCE.exec(text.trim());
  if (!match) {
    throw new Error(
      `agentsSource: ${JSON.stringify(text)} is not a table, view or function name (allowed: name, schema.name, name() or schema.name()).`,
    );
  }
  const parts = [match[1], match[2]].filter((p): p is string => p !== undefined).map(quotePart);
  return { sql: `${parts.join('.')}${match[3] ?? ''}`, text: text.trim() };
}

function quotePart(part: string): string {
  const name = part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toLowerCase();
  return `"${name.replace(/"/g, '""')}"`;
}
