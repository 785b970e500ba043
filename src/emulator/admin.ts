/** /emulator/queues: queues added, renamed or moved, and removed while the emulator runs. */
import { z } from "zod";
import { formatZodError } from "../config/errors.js";
import type { Logger } from "../util/log.js";
import { HttpError, json, type Reply } from "./http.js";
import { queueSpecSchema } from "./simulator/scenario.js";
import type { Simulator } from "./simulator/simulator.js";

/** PATCH /emulator/queues/{id} body. */
const queuePatchSchema = z
  .object({ name: z.string().min(1).optional(), division: z.string().min(1).optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.division !== undefined, { message: "name or division is required" });

/** POST /emulator/queues: a queue spec as in scenario files; answers the new queue's id. */
export function addQueue(sim: Simulator, body: unknown): Reply {
  const parsed = queueSpecSchema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, "bad.request", `queue: ${formatZodError(parsed.error)}`);
  try {
    const q = sim.addQueue(parsed.data);
    return json(201, { id: q.id, name: q.name });
  } catch (e) {
    throw new HttpError(400, "bad.request", (e as Error).message);
  }
}

/** PATCH /emulator/queues/{id}: rename and/or move to another division (id or name); history stays. */
export function patchQueue(sim: Simulator, id: string, body: unknown, log: Logger): Reply {
  const parsed = queuePatchSchema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, "bad.request", `queue: ${formatZodError(parsed.error)}`);
  let q;
  try {
    q = sim.updateQueue(id, parsed.data);
  } catch (e) {
    throw new HttpError(409, "conflict", (e as Error).message);
  }
  if (!q) throw new HttpError(404, "not.found", `queue ${id} not found`);
  log.info({ queueId: q.id, name: q.name, division: q.divisionName }, "queue changed");
  return json(200, { id: q.id, name: q.name, division: { id: q.divisionId, name: q.divisionName } });
}

/** DELETE /emulator/queues/{id}: no new callers; calls in progress finish. */
export function removeQueue(sim: Simulator, id: string): Reply {
  if (!sim.removeQueue(id)) throw new HttpError(404, "not.found", `queue ${id} not found`);
  return { status: 204 };
}
