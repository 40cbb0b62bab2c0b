export function App() {
  return <p>Textback</p>;
}
