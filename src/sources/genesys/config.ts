/** The Genesys sections of the config: where Genesys is, the client, and which queues to watch. */
import { z } from "zod";
import { between, destinationUrl, wholeBetween } from "../../config/fields.js";
import { selectorFields, compileSelector } from "../../select/queue-selector.js";

export const genesysSchema = z
  .object({
    /** Region domain, e.g. mypurecloud.ie (GENESYS_ORG_DOMAIN). */
    orgDomain: z.string().optional(),
    /** One host for login and API, e.g. the emulator (GENESYS_BASE_URL). */
    baseUrl: destinationUrl.optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    /** Requests per window and token (Genesys: 300 a minute); the client paces itself under it. */
    rateLimit: z
      .object({ requests: wholeBetween(1, 100_000).default(300), windowSeconds: between(1, 3600).default(60) })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const queuesSchema = z
  .object({ ...selectorFields, refreshSeconds: between(0.1, 86_400).default(300) })
  .strict()
  .prefault({})
  .transform(({ refreshSeconds, ...spec }) => ({ refreshSeconds, selector: compileSelector(spec) }));
