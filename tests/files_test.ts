/**
 * Input discovery (lib/files.ts): the reference's rules (directory listing, -r, de-duplication
 * by exact string, code-point order over the whole list) without its silent drops.
 */
import assert from "node:assert/strict";
import { compareCodePoints, findFiles, sortByCodePoint } from "../lib/files.ts";

async function tree(layout: Record<string, string | null>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "storescu-files-" });
  for (const [rel, content] of Object.entries(layout)) {
    const p = `${root}/${rel}`;
    await Deno.mkdir(p.slice(0, p.lastIndexOf("/")), { recursive: true });
    if (content === null) await Deno.mkdir(p, { recursive: true });
    else await Deno.writeTextFile(p, content);
  }
  return root;
}

async function withTree(
  layout: Record<string, string | null>,
  body: (root: string) => Promise<void>,
): Promise<void> {
  const root = await tree(layout);
  try {
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("compareCodePoints: Python's str order, not UTF-16 order", () => {
  const names = ["b", "a", "B", "_", "a.dcm", "a", "\u00e9", "\u{1F600}", "\uFF21", "Z", "10", "9"];
  const sorted = [...names].sort(compareCodePoints);
  assert.deepEqual(sorted, [
    "10",
    "9",
    "B",
    "Z",
    "_",
    "a",
    "a",
    "a.dcm",
    "b",
    "\u00e9",
    "\uFF21", // U+FF21 sorts before U+1F600 by code point (UTF-16 units say otherwise)
    "\u{1F600}",
  ]);
  assert.ok(compareCodePoints("\uFF21", "\u{1F600}") < 0);
  assert.ok("\uFF21" > "\u{1F600}", "JS's own comparison is by UTF-16 unit");
  assert.ok(compareCodePoints("ab", "a") > 0);
  assert.equal(compareCodePoints("x/y", "x/y"), 0);
  // "/" (0x2F) sorts after "-" (0x2D) and "." (0x2E): directories interleave with files.
  assert.deepEqual(["d/x", "d-1", "d.x"].sort(compareCodePoints), ["d-1", "d.x", "d/x"]);
});

Deno.test("sortByCodePoint: the order of compareCodePoints, with or without surrogates", () => {
  const plain = [
    "b",
    "a",
    "B",
    "_",
    "a.dcm",
    "\u00e9",
    "\uFF21",
    "\uE000",
    "Z",
    "10",
    "d/x",
    "d-1",
  ];
  for (const list of [plain, [...plain, "\u{1F600}", "x\u{10000}y", "x\uFFFFy"]]) {
    assert.deepEqual(sortByCodePoint([...list]), [...list].sort(compareCodePoints));
  }
  // The case where UTF-16 order differs: a surrogate pair against U+E000..U+FFFF.
  assert.deepEqual(sortByCodePoint(["\u{1F600}", "\uFF21"]), ["\uFF21", "\u{1F600}"]);
});

Deno.test("findFiles: a directory lists its files, sorted over the whole list", async () => {
  await withTree({
    "d/b.dcm": "b",
    "d/a.dcm": "a",
    "d/.hidden": "h",
    "d/noext": "n",
    "d/sub/c.dcm": "c",
    "e/0.dcm": "0",
  }, async (root) => {
    const { files, bad, skippedDirectories } = await findFiles([`${root}/e`, `${root}/d`], false);
    assert.deepEqual(files, [
      `${root}/d/.hidden`,
      `${root}/d/a.dcm`,
      `${root}/d/b.dcm`,
      `${root}/d/noext`,
      `${root}/e/0.dcm`,
    ]);
    // Without -r the subdirectory is skipped, as by the reference; it is not an error, but
    // it is said (W: line) so that nothing goes unmentioned.
    assert.deepEqual(bad, []);
    assert.deepEqual(skippedDirectories, [`${root}/d/sub`]);
  });
});

Deno.test("findFiles: -r descends into subdirectories", async () => {
  await withTree({
    "d/a.dcm": "a",
    "d/sub/c.dcm": "c",
    "d/sub/deeper/e.dcm": "e",
    "d/sub-x.dcm": "x",
    "d/empty": null,
  }, async (root) => {
    const { files, bad } = await findFiles([`${root}/d`], true);
    assert.deepEqual(files, [
      `${root}/d/a.dcm`,
      `${root}/d/sub-x.dcm`,
      `${root}/d/sub/c.dcm`,
      `${root}/d/sub/deeper/e.dcm`,
    ]);
    assert.deepEqual(bad, []);
  });
});

Deno.test("findFiles: de-duplicates by exact string only; paths kept as given", async () => {
  await withTree({ "d/a.dcm": "a", "d/b.dcm": "b" }, async (root) => {
    const { files } = await findFiles(
      [`${root}/d/a.dcm`, `${root}/d`, `${root}/d/a.dcm`, `${root}/d/../d/b.dcm`],
      false,
    );
    assert.deepEqual(files, [
      `${root}/d/../d/b.dcm`,
      `${root}/d/a.dcm`,
      `${root}/d/b.dcm`,
    ]);
    // A trailing slash on a directory argument does not double it.
    const slash = await findFiles([`${root}/d/`], false);
    assert.deepEqual(slash.files, [`${root}/d/a.dcm`, `${root}/d/b.dcm`]);
  });
});

Deno.test("findFiles: relative paths are kept relative", async () => {
  await withTree({ "d/a.dcm": "a" }, async (root) => {
    const cwd = Deno.cwd();
    Deno.chdir(root);
    try {
      const { files } = await findFiles(["d", "./d/a.dcm", "d/a.dcm"], false);
      assert.deepEqual(files, ["./d/a.dcm", "d/a.dcm"]);
    } finally {
      Deno.chdir(cwd);
    }
  });
});

Deno.test("findFiles: missing paths are reported, in argument order, not dropped", async () => {
  await withTree({ "a.dcm": "a" }, async (root) => {
    const { files, bad } = await findFiles(
      [`${root}/zz-missing`, `${root}/a.dcm`, `${root}/aa-missing`],
      false,
    );
    assert.deepEqual(files, [`${root}/a.dcm`]);
    assert.deepEqual(bad, [
      { path: `${root}/zz-missing`, reason: "no such file or directory" },
      { path: `${root}/aa-missing`, reason: "no such file or directory" },
    ]);
  });
});

Deno.test("findFiles: symlinks: to files sent, to directories not followed, broken ones reported", async () => {
  await withTree({ "d/a.dcm": "a", "other/x.dcm": "x" }, async (root) => {
    await Deno.symlink(`${root}/d/a.dcm`, `${root}/d/link.dcm`);
    await Deno.symlink(`${root}/nowhere.dcm`, `${root}/d/broken.dcm`);
    await Deno.symlink(`${root}/other`, `${root}/d/dirlink`);
    for (const recurse of [false, true]) {
      const { files, bad } = await findFiles([`${root}/d`], recurse);
      assert.deepEqual(files, [`${root}/d/a.dcm`, `${root}/d/link.dcm`], `recurse=${recurse}`);
      assert.deepEqual(bad, [{
        path: `${root}/d/broken.dcm`,
        reason: "broken link: no such file or directory",
      }]);
    }
    // A broken link given directly is reported too.
    const direct = await findFiles([`${root}/d/broken.dcm`], false);
    assert.deepEqual(direct.files, []);
    assert.equal(direct.bad.length, 1);
    assert.equal(direct.bad[0].path, `${root}/d/broken.dcm`);
    // A link to a file given directly is a file.
    assert.deepEqual((await findFiles([`${root}/d/link.dcm`], false)).files, [
      `${root}/d/link.dcm`,
    ]);
  });
});

Deno.test("findFiles: non-regular entries (FIFO) are reported, not dropped", async () => {
  await withTree({ "d/a.dcm": "a" }, async (root) => {
    const fifo = `${root}/d/pipe`;
    const r = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(r.success, "mkfifo failed");
    const inDir = await findFiles([`${root}/d`], false);
    assert.deepEqual(inDir.files, [`${root}/d/a.dcm`]);
    assert.deepEqual(inDir.bad, [{ path: fifo, reason: "not a regular file" }]);
    const direct = await findFiles([fifo], false);
    assert.deepEqual(direct.files, []);
    assert.deepEqual(direct.bad, [{ path: fifo, reason: "not a regular file" }]);
  });
});

Deno.test("findFiles: nothing given, nothing found", async () => {
  assert.deepEqual(await findFiles([], true), {
    files: [],
    bad: [],
    skippedDirectories: [],
    notMatching: 0,
  });
  await withTree({ "empty": null }, async (root) => {
    assert.deepEqual(await findFiles([`${root}/empty`], true), {
      files: [],
      bad: [],
      skippedDirectories: [],
      notMatching: 0,
    });
  });
});

Deno.test("findFiles: patterns select files met in directories by base name, counting the rest", async () => {
  await withTree({
    "d/IM0001": "1",
    "d/IM0002.dcm": "2",
    "d/notes.txt": "n",
    "d/sub/IM0003": "3",
    "d/sub/x.dcm": "4",
    "d/sub/IM.dir/y": "5",
  }, async (root) => {
    const flat = await findFiles([`${root}/d`], false, { patterns: ["IM*"] });
    assert.deepEqual(flat.files, [`${root}/d/IM0001`, `${root}/d/IM0002.dcm`]);
    assert.equal(flat.notMatching, 1);
    // The pattern applies to file names only: directories are still descended into.
    const deep = await findFiles([`${root}/d`], true, { patterns: ["IM*", "*.dcm"] });
    assert.deepEqual(deep.files, [
      `${root}/d/IM0001`,
      `${root}/d/IM0002.dcm`,
      `${root}/d/sub/IM0003`,
      `${root}/d/sub/x.dcm`,
    ]);
    assert.equal(deep.notMatching, 2); // notes.txt, y
    // A file named on the command line is taken whatever its name.
    const direct = await findFiles([`${root}/d/notes.txt`], false, { patterns: ["*.dcm"] });
    assert.deepEqual(direct.files, [`${root}/d/notes.txt`]);
    assert.equal(direct.notMatching, 0);
    // No pattern (or an empty list): everything, as before.
    assert.equal((await findFiles([`${root}/d`], true, { patterns: [] })).files.length, 6);
  });
});

Deno.test("findFiles: patterns apply to links to files by the link's name", async () => {
  await withTree({ "t/target.bin": "x", "d/": null }, async (root) => {
    await Deno.symlink(`${root}/t/target.bin`, `${root}/d/IM1`);
    await Deno.symlink(`${root}/t/target.bin`, `${root}/d/other`);
    const r = await findFiles([`${root}/d`], false, { patterns: ["IM?"] });
    assert.deepEqual(r.files, [`${root}/d/IM1`]);
    assert.equal(r.notMatching, 1);
  });
});
