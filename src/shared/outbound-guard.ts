import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { AppError } from './app-error.js';

/** One outbound HTTP request, as webhooks and `remote` models send them. */
export interface OutboundRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** `fetch` for outbound calls: the answer as a standard Response, its body read in full. */
export type OutboundFetch = (url: string, init: OutboundRequest) => Promise<Response>;

/**
 * Where Sextant's own outbound calls (webhooks, `remote` models) may go. Loopback, link-local
 * (169.254.0.0/16: cloud metadata), private and other non-public addresses and any scheme but
 * http(s) are refused unless SEXTANT_ALLOWED_HOSTS lists them, both when a URL is saved and when
 * a connection is made, so a name that later resolves elsewhere, or a redirect, cannot reach them.
 */
export interface OutboundGuard {
  /** Checks a URL about to be saved; a 400 naming `field` when it is refused. */
  check(url: string, field: string): Promise<void>;
  /** Sends a request, checking every address it connects to and every redirect it follows. */
  fetch: OutboundFetch;
}

/** Address ranges refused unless allowed, with the words an error uses for them. */
const REFUSED: readonly [reason: string, network: string, prefix: number][] = [
  ['loopback', '127.0.0.0', 8],
  ['loopback', '::1', 128],
  ['an unspecified address', '0.0.0.0', 8],
  ['an unspecified address', '::', 128],
  ['link-local (where cloud metadata lives)', '169.254.0.0', 16],
  ['link-local', 'fe80::', 10],
  ['private', '10.0.0.0', 8],
  ['private', '172.16.0.0', 12],
  ['private', '192.168.0.0', 16],
  ['private', 'fc00::', 7],
  ['carrier-grade NAT space', '100.64.0.0', 10],
  ['NAT64 space', '64:ff9b::', 96],
  ['multicast', '224.0.0.0', 4],
  ['multicast', 'ff00::', 8],
  ['reserved', '240.0.0.0', 4],
];

const LOOPBACK: readonly string[] = ['127.0.0.0/8', '::1/128', 'localhost'];
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** A remote model's answer or a webhook's reply larger than this is refused, not buffered. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const family = (address: string) => (net.isIPv6(address) ? 'ipv6' : 'ipv4');
/** `::ffff:10.0.0.1` reaches 10.0.0.1: judge it as that. */
const unmapped = (address: string) => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;

/**
 * The guard for a list of allowed entries (SEXTANT_ALLOWED_HOSTS): `loopback`, IP addresses,
 * CIDR ranges, host names, and `*.domain` for a domain's subdomains. A host allowed by name may
 * resolve to any address; otherwise each address it resolves to is judged.
 */
export function outboundGuard(allowed: readonly string[]): OutboundGuard {
  const allowedAddresses = new net.BlockList();
  const names = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of allowed.flatMap((e) => (e === 'loopback' ? LOOPBACK : [e]))) {
    const [address, bits] = entry.split('/');
    if (net.isIP(address!)) {
      if (bits === undefined) allowedAddresses.addAddress(address!, family(address!));
      else allowedAddresses.addSubnet(address!, Number(bits), family(address!));
    } else if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
    else names.add(entry);
  }
  const refused = REFUSED.map(([reason, network, prefix]) => {
    const list = new net.BlockList();
    list.addSubnet(network, prefix, family(network));
    return { reason, list };
  });

  const nameAllowed = (host: string) => names.has(host) || suffixes.some((s) => host.endsWith(s));
  /** Why an address is refused, or undefined when a call may reach it. */
  const refusal = (raw: string): string | undefined => {
    const address = unmapped(raw);
    const type = family(address);
    if (allowedAddresses.check(address, type)) return undefined;
    return refused.find((r) => r.list.check(address, type))?.reason;
  };
  const refusedError = (what: string, address: string, reason: string) =>
    `${what} ${address} is ${reason}; outbound calls there are refused unless SEXTANT_ALLOWED_HOSTS lists it`;

  /** The URL parsed, its scheme checked; the host without IPv6 brackets. */
  function target(url: string): { url: URL; host: string } {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`${JSON.stringify(url.slice(0, 200))} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`the scheme ${parsed.protocol} is refused (http or https only)`);
    return { url: parsed, host: parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase() };
  }

  /** Every address of `host`, each judged, before a connection is made to one of them. */
  const lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return (callback as (e: Error) => void)(err);
      const bad = nameAllowed(hostname.toLowerCase()) ? undefined : addresses.find((a) => refusal(a.address));
      if (bad) return (callback as (e: Error) => void)(new Error(refusedError(hostname, bad.address, refusal(bad.address)!)));
      if (options.all) (callback as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

  function send(url: URL, init: OutboundRequest): Promise<Response> {
    return new Promise((resolve, reject) => {
      const protocol = url.protocol as 'http:' | 'https:';
      const req = (protocol === 'https:' ? https : http).request(
        url,
        { method: init.method, headers: init.headers, signal: init.signal, lookup, agent: agents[protocol] },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
            else chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            try {
              const status = res.statusCode ?? 502;
              const headers = new Headers();
              for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
              const empty = status === 204 || status === 205 || status === 304;
              resolve(new Response(empty ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers }));
            } catch (err) {
              reject(err as Error);
            }
          });
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  return {
    async check(url, field) {
      const fail = (message: string) => new AppError('invalid_argument', `${field}: ${message}`, { field });
      let t: ReturnType<typeof target>;
      try {
        t = target(url);
      } catch (err) {
        throw fail((err as Error).message);
      }
      if (nameAllowed(t.host)) return;
      const addresses = net.isIP(t.host)
        ? [t.host]
        : // A name that does not resolve now is judged when a connection is made.
          await dns.promises.lookup(t.host, { all: true }).then((a) => a.map((x) => x.address), () => []);
      for (const address of addresses) {
        const reason = refusal(address);
        if (reason) throw fail(refusedError(net.isIP(t.host) ? 'the address' : `${t.host} resolves to`, address, reason));
      }
    },

    async fetch(url, init) {
      let current = url;
      let request = init;
      for (let hop = 0; ; hop++) {
        const t = target(current);
        if (net.isIP(t.host) && !nameAllowed(t.host)) {
          const reason = refusal(t.host);
          if (reason) throw new Error(refusedError(hop ? 'a redirect to' : 'the address', t.host, reason));
        }
        const res = await send(t.url, request);
        const location = res.headers.get('location');
        if (!REDIRECTS.has(res.status) || !location || hop === MAX_REDIRECTS) return res;
        current = new URL(location, t.url).href;
        // As fetch does: 303, and 301/302 after a POST, continue as a GET without the body.
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && request.method === 'POST')) request = { ...request, method: 'GET', body: undefined };
      }
    },
  };
}
