export function RuleEditPage(props: { kind: string; id: string }) {
  return (
    <main id="main">
      <h1>
        Rule {props.kind}/{props.id}
      </h1>
    </main>
  );
}
