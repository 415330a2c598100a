/**
 * The live progress line on a terminal: files done of the total, bytes, rate, ETA, and the
 * byte progress of a big file going out. One line on stderr, redrawn at most every 100 ms;
 * log lines are written above it (the line is cleared, the log line written, the line drawn
 * again), so neither garbles the other.
 *
 * ```text
 * 312/1,000 files  164/525 MB  108 MB/s  ETA 0:03  ct00312.dcm
 * ```
 *
 * It is an event subscriber like `lib/log.ts`: feed it every {@link StoreEvent}.
 *
 * @module
 */

import type { StoreEvent } from "./send.ts";

/** Where and how the line is drawn. */
export interface ProgressOptions {
  /** Writes raw text to the terminal (no newline added). */
  write: (text: string) => void;
  /** ANSI colours (off when `NO_COLOR` is set). */
  color: boolean;
  /** Terminal width: the line is cut to one column less. */
  columns: number;
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** Minimum time between two redraws, in milliseconds. */
const REDRAW_MS = 100;
const CLEAR = "\r\x1b[K";

type Style = "bold" | "red" | "dim" | "";
const SGR: Record<Style, string> = { bold: "\x1b[1m", red: "\x1b[31m", dim: "\x1b[2m", "": "" };

/** A whole number with thousands separators (not `toLocaleString`: Intl costs ~5 MB). */
const int = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

function mb(bytes: number): string {
  const m = bytes / 1e6;
  return m >= 100 ? int(m) : m >= 10 ? m.toFixed(1) : m.toFixed(2);
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * Draws and redraws the progress line from the run's events.
 *
 * @example
 * ```ts
 * import { ProgressLine } from "./progress.ts";
 * let out = "";
 * const p = new ProgressLine({ write: (t) => out += t, color: false, columns: 80 });
 * p.onEvent({ type: "totals", files: 2, bytes: 2_000_000 });
 * p.text(); // "0/2 files  0.00/2.00 MB"
 * p.end();
 * ```
 */
export class ProgressLine {
  #write: (text: string) => void;
  #color: boolean;
  #width: number;
  #now: () => number;
  #started: number;
  #lastDraw = -Infinity;
  /** What is on the screen now ("" when nothing is). */
  #shown = "";
  #ended = false;

  #files = 0;
  #exactBytes: number | undefined;
  #done = 0;
  #failed = 0;
  #skipped = 0;
  /** Sizes of the files done (any outcome), for the remaining bytes. */
  #doneBytes = 0;
  /** Files done whose size is known, for an estimate of the total. */
  #sized = 0;
  /** Data set bytes sent (files done) and of the big file going out now. */
  #sentBytes = 0;
  #current = "";
  #currentBytes = 0;
  #currentTotal = 0;

  /** @param options where to draw */
  constructor(options: ProgressOptions) {
    this.#write = options.write;
    this.#color = options.color;
    this.#width = Math.max(20, options.columns - 1);
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
  }

  /** Takes one event of the run; redraws when the last draw is 100 ms old. */
  onEvent = (e: StoreEvent): void => {
    switch (e.type) {
      case "totals":
        this.#files = e.files;
        if (e.bytes !== undefined) this.#exactBytes = e.bytes;
        this.#draw(true);
        return;
      case "file-ignored": // left out of the account: not one of the files to do
        this.#files--;
        break;
      case "file-sending":
        this.#current = e.path;
        this.#currentBytes = 0;
        this.#currentTotal = 0;
        break;
      case "file-progress":
        if (e.path === this.#current) {
          this.#currentBytes = e.bytes;
          this.#currentTotal = e.total;
        }
        break;
      case "file-done": {
        const r = e.result;
        this.#done++;
        if (r.outcome === "failure" || r.outcome === "not-sent") this.#failed++;
        if (r.outcome === "skipped") this.#skipped++;
        if (r.size !== undefined) {
          this.#doneBytes += r.size;
          this.#sized++;
        }
        this.#sentBytes += r.bytes ?? 0;
        if (r.path === this.#current) this.#currentBytes = this.#currentTotal = 0;
        break;
      }
      default:
        return;
    }
    this.#draw(false);
  };

  /** Writes a whole line (a log line) above the progress line. */
  line = (text: string): void => {
    if (this.#ended || this.#shown === "") this.#write(text + "\n");
    else this.#write(`${CLEAR}${text}\n${this.#shown}`);
  };

  /**
   * Runs `write`, which writes whole lines to the same terminal some other way (stdout), with
   * the progress line cleared first and drawn again after.
   */
  above(write: () => void): void {
    if (this.#ended || this.#shown === "") return write();
    this.#write(CLEAR);
    write();
    this.#write(this.#shown);
  }

  /** Clears the line for good (before the summary); later lines are written plainly. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#shown !== "") this.#write(CLEAR);
    this.#shown = "";
  }

  /** The line as it would be drawn now, without colours. */
  text(): string {
    return this.#segments().map(([t]) => t).join("");
  }

  #draw(force: boolean): void {
    if (this.#ended) return;
    const now = this.#now();
    if (!force && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#shown = `${CLEAR}${this.#render()}`;
    this.#write(this.#shown);
  }

  /** The segments cut to the width, coloured when asked. */
  #render(): string {
    let room = this.#width;
    let out = "";
    for (const [t, style] of this.#segments()) {
      if (room <= 0) break;
      const cut = t.length > room ? t.slice(0, room) : t;
      room -= cut.length;
      out += this.#color && style ? `${SGR[style]}${cut}\x1b[0m` : cut;
    }
    return out;
  }

  #segments(): [string, Style][] {
    const s: [string, Style][] = [[`${int(this.#done)}/${int(this.#files)}`, "bold"], [
      " files",
      "",
    ]];
    if (this.#failed > 0) s.push([" (", ""], [`${int(this.#failed)} not stored`, "red"], [")", ""]);
    if (this.#skipped > 0) s.push([` (${int(this.#skipped)} skipped)`, ""]);
    const exact = this.#exactBytes !== undefined;
    const total = exact
      ? this.#exactBytes!
      : this.#sized > 0
      ? (this.#doneBytes / this.#sized) * this.#files
      : undefined;
    const processed = this.#doneBytes + this.#currentBytes;
    if (total !== undefined) {
      s.push([`  ${mb(processed)}/${exact ? "" : "~"}${mb(total)} MB`, ""]);
    }
    const elapsed = (this.#now() - this.#started) / 1000;
    const sent = this.#sentBytes + this.#currentBytes;
    if (sent > 0 && elapsed > 0) {
      s.push([`  ${mb(sent / elapsed)} MB/s`, ""]);
      if (total !== undefined && processed > 0 && this.#done < this.#files) {
        s.push([`  ETA ${clock(((total - processed) * elapsed) / processed)}`, ""]);
      }
    }
    if (this.#current && this.#done < this.#files) {
      const name = this.#current.slice(this.#current.lastIndexOf("/") + 1);
      const pct = this.#currentTotal > 0
        ? ` ${Math.min(99, Math.floor((100 * this.#currentBytes) / this.#currentTotal))}%`
        : "";
      s.push([`  ${name}${pct}`, "dim"]);
    }
    return s;
  }
}
