/**
 * The `node:` uwsgitop shows on its second line: the host of a TCP or HTTP address, this
 * machine's name for a unix socket (which can only be local).
 */
import { parseAddress } from '@tsgi/stats-protocol';

export function displayHost(address: string, hostname: string): string {
  const target = parseAddress(address);
  if (target.kind === 'tcp') return target.host;
  if (target.kind === 'http') return new URL(target.url).hostname.replace(/^\[(.*)\]$/, '$1');
  return hostname;
}
