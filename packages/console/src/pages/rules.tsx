export function RulesPage() {
  return (
    <main id="main">
      <h1>Rules</h1>
      <p>Loading…</p>
    </main>
  );
}
