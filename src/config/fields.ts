/**
 * Field helpers every config section uses, so bounds and messages read the same everywhere.
 * Bounds are there to refuse values that would exhaust memory or block the process (a backfill
 * chunk of a millisecond, a conversation lasting a thousand years), naming the field.
 */
import { z } from "zod";

/** A number in [min, max] (inclusive); the message names the range. */
export const between = (min: number, max: number) =>
  z.number().refine((v) => Number.isFinite(v) && v >= min && v <= max, { message: `expected a number from ${min} to ${max}` });

/** A whole number in [min, max]. */
export const wholeBetween = (min: number, max: number) =>
  z.number().refine((v) => Number.isInteger(v) && v >= min && v <= max, { message: `expected a whole number from ${min} to ${max}` });

/**
 * An http(s) URL for a destination we send to. Credentials in it are refused: fetch refuses such
 * URLs on every try, and the URL would carry a password into every log line that names it.
 */
export const destinationUrl = z.string().superRefine((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    ctx.addIssue({ code: "custom", message: "not a URL" });
    return;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") ctx.addIssue({ code: "custom", message: `expected an http:// or https:// URL, got ${u.protocol}//` });
  if (u.username !== "" || u.password !== "") ctx.addIssue({ code: "custom", message: "a URL with credentials (user:password@) is refused: put them in headers (e.g. authorization: Basic ...)" });
});

/** A URL without its user info, for anything that prints it. */
export function printableUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}
