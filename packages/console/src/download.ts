import { headersFor } from './api.ts';

/** Downloads an export with the same credentials as every other call, as a file. */
export async function download(path: string, fileName: string): Promise<void> {
  const res = await fetch(path, { headers: headersFor('GET'), credentials: 'same-origin' });
  if (!res.ok) throw new Error(`The export failed (HTTP ${res.status})`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
