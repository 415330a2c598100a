import { equal } from "node:assert/strict";
import { reportLine, resultFields } from "../lib/cli/report.ts";
import { planReportLine } from "../lib/cli/dry_run.ts";

// The `--report` lines are read by scripts: their fields and their order are pinned here.

Deno.test("reportLine: every field, in order, absent ones null (attempts 1)", () => {
  equal(
    reportLine({ path: "b.dcm", outcome: "skipped", reason: "DICOMDIR" }),
    '{"path":"b.dcm","outcome":"skipped","sopClassUid":null,"sopInstanceUid":null,' +
      '"transferSyntaxUid":null,"sentTransferSyntaxUid":null,"transcoded":null,"contextId":null,' +
      '"status":null,"reason":"DICOMDIR","bytes":null,"size":null,"ms":null,"attempts":1}',
  );
  equal(
    reportLine({
      path: "a.dcm",
      outcome: "success",
      status: 0,
      sopClassUid: "1.2.840.10008.5.1.4.1.1.2",
      sopInstanceUid: "2.25.1",
      transferSyntaxUid: "1.2.840.10008.1.2.4.80",
      sentTransferSyntaxUid: "1.2.840.10008.1.2.1",
      transcoded: "decoded",
      contextId: 3,
      bytes: 524288,
      size: 200000,
      ms: 12,
      attempts: 2,
      transient: false,
    }),
    '{"path":"a.dcm","outcome":"success","sopClassUid":"1.2.840.10008.5.1.4.1.1.2",' +
      '"sopInstanceUid":"2.25.1","transferSyntaxUid":"1.2.840.10008.1.2.4.80",' +
      '"sentTransferSyntaxUid":"1.2.840.10008.1.2.1","transcoded":"decoded","contextId":3,' +
      '"status":0,"reason":null,"bytes":524288,"size":200000,"ms":12,"attempts":2}',
  );
});

Deno.test("planReportLine: the same first fields as a run's line, then the plan's", () => {
  equal(
    planReportLine({
      path: "c.dcm",
      outcome: "planned",
      sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      sopInstanceUid: "2.25.7",
      transferSyntaxUid: "1.2.840.10008.1.2",
      sentTransferSyntaxUid: "1.2.840.10008.1.2.1",
      converted: true,
      association: 2,
      contextId: 5,
      proposedTransferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"],
    }, true),
    '{"path":"c.dcm","outcome":"planned","sopClassUid":"1.2.840.10008.5.1.4.1.1.7",' +
      '"sopInstanceUid":"2.25.7","transferSyntaxUid":"1.2.840.10008.1.2",' +
      '"sentTransferSyntaxUid":"1.2.840.10008.1.2.1","converted":true,"association":2,' +
      '"contextId":5,"proposedTransferSyntaxes":["1.2.840.10008.1.2.1","1.2.840.10008.1.2"],' +
      '"reason":null,"probed":true}',
  );
  equal(
    planReportLine({ path: "d", outcome: "not-sent", reason: "no context" }, false),
    '{"path":"d","outcome":"not-sent","sopClassUid":null,"sopInstanceUid":null,' +
      '"transferSyntaxUid":null,"sentTransferSyntaxUid":null,"converted":null,' +
      '"association":null,"contextId":null,"proposedTransferSyntaxes":null,' +
      '"reason":"no context","probed":false}',
  );
});

Deno.test("resultFields: the shared first fields, absent ones null", () => {
  equal(
    JSON.stringify(resultFields({ path: "e", outcome: "failure", sopInstanceUid: "2.25.9" })),
    '{"path":"e","outcome":"failure","sopClassUid":null,"sopInstanceUid":"2.25.9",' +
      '"transferSyntaxUid":null,"sentTransferSyntaxUid":null}',
  );
});
