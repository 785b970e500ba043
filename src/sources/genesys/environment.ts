/**
 * Where Genesys Cloud lives: `GENESYS_ORG_DOMAIN` (e.g. mypurecloud.ie) gives https://login.<d>
 * and https://api.<d> (WebSockets come from each channel's connectUri); `GENESYS_BASE_URL`
 * points both at one host, such as the emulator.
 */
export interface GenesysEnvironment {
  loginBase: string;
  apiBase: string;
}

export function genesysEnvironment(opts: { orgDomain?: string; baseUrl?: string }): GenesysEnvironment {
  if (opts.baseUrl) {
    let u: URL;
    try {
      u = new URL(opts.baseUrl);
    } catch {
      throw new Error(`genesys.baseUrl: not a URL: "${opts.baseUrl}"`);
    }
    const base = u.toString().replace(/\/+$/, "");
    return { loginBase: base, apiBase: base };
  }
  const domain = (opts.orgDomain ?? "").trim().replace(/^https?:\/\//, "").replace(/^(api|login)\./, "").replace(/\/+$/, "");
  if (!domain || !/^[a-z0-9.-]+\.[a-z]+$/i.test(domain)) {
    throw new Error(`genesys.orgDomain: expected a domain such as mypurecloud.ie, got "${opts.orgDomain ?? ""}"`);
  }
  return { loginBase: `https://login.${domain}`, apiBase: `https://api.${domain}` };
}
