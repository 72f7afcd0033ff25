/**
 * The next step for the database errors a new operator meets first, appended to the driver's or
 * server's own message (which stays, so nothing is hidden). Pure text in, text out.
 */
export function withHint(message: string): string {
  const hint = hintFor(message);
  return hint === undefined || message.includes(hint) ? message : `${message} — ${hint}`;
}

/** The hint for a message, or undefined when there is none to give. */
export function hintFor(message: string): string | undefined {
  if (/client password must be a string|empty password returned by client|no password supplied/i.test(message)) {
    return 'the server asks for a password and none was given: set PGPASSWORD, add a ~/.pgpass line, or give the URL with its password in --database-url-file (the plugin: password or connectionString in its config)';
  }
  const relation = /relation "([^"]+)" does not exist/.exec(message);
  if (relation) {
    return `the table ${JSON.stringify(relation[1])} is not in this database: install the schema with "agent-config-sync migrate" (or ./agent-install.sh) as the tables' owner, or check the database name; an existing table of another shape can be read through a view named with --agents-source`;
  }
  if (/has no column (name|model)\b/.test(message)) {
    return 'if your table keeps these under other names, read it through a view: CREATE VIEW agent_export AS SELECT <your id column> AS name, <your model column> AS model, … FROM <your table>; then --agents-source agent_export (plugin option agentsSource)';
  }
  return undefined;
}
