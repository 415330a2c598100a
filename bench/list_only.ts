/**
 * Baseline for the bench's (g): what the Deno runtime alone costs to list the same folder
 * (`Deno.readDirSync`, which hands over every entry at once) and keep one path per file, with
 * none of storescu loaded. Prints `listed N`.
 *
 * ```sh
 * deno run -R bench/list_only.ts /tmp/many
 * ```
 *
 * @module
 */

const paths: string[] = [];
for (const dir of Deno.args) {
  for (const e of Deno.readDirSync(dir)) if (e.isFile) paths.push(`${dir}/${e.name}`);
}
paths.sort();
console.log(`listed ${paths.length}`);
