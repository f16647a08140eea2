/**
 * `portico call URL ENDPOINT [json]`: one JSON call to an endpoint of any Portico service, or of
 * an app behind a gateway, printed as JSON.
 */
import { Option } from "commander";
import type { Command } from "commander";
import { ConnectionManager } from "../../index.js";
import { writeLine } from "../io.js";
import type { CliIo } from "../io.js";
import { examples, parseHttpUrl, parseJson, timeoutOption, tokenOption } from "../options.js";
import { checkTokens } from "../security-options.js";

type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

interface CallCommandOptions {
  timeout: number;
  method: Method;
  token?: string;
}

const HOW_IT_CALLS = `
How it calls:
  The input is sent as is to <url>/<endpoint> (POST by default) and the JSON reply is printed.
  Nothing is fetched first, so one command works alike for a service URL, for a gateway app URL
  (<gateway>/<app>) and for the built-in endpoints (status, heartbeat, shutdown...). The input is
  validated by the service against its published schema: a mismatch fails with
  VALIDATION_FAILED and the reasons, exactly as a typed client would report it.`;

/** Adds the `call` command to `program`. */
export function registerCall(program: Command, io: CliIo): void {
  program
    .command("call")
    .summary("call an endpoint and print the JSON result")
    .description(
      "Call an endpoint of a Portico service (or of a gateway app) and print the result.",
    )
    .argument("<url>", "base URL of the service, or <gateway>/<app>", parseHttpUrl)
    .argument("<endpoint>", "endpoint name, e.g. echo or heartbeat")
    .argument("[input]", "input as a JSON document (default: {})", parseJson)
    .addOption(timeoutOption(60_000))
    .addOption(tokenOption())
    .addOption(
      new Option("-X, --method <method>", "HTTP method")
        .choices(["GET", "POST", "PUT", "DELETE", "PATCH"])
        .default("POST"),
    )
    .addHelpText("after", HOW_IT_CALLS)
    .addHelpText(
      "after",
      examples(
        `portico call http://127.0.0.1:8080 echo '{"message":"hi"}'`,
        `portico call http://127.0.0.1:8000/echoer echo '{"message":"hi"}' --timeout 5000`,
        "portico call http://127.0.0.1:8080 heartbeat",
        "PORTICO_TOKEN=$(cat admin.token) portico call http://127.0.0.1:8080 shutdown",
      ),
    )
    .action(
      async (
        url: string,
        endpoint: string,
        input: unknown,
        options: CallCommandOptions,
        command: Command,
      ) => {
        if (options.method === "GET" && input !== undefined) {
          command.error("error: a GET call takes no input", { code: "portico.getWithInput" });
        }
        checkTokens(options);
        const { timeout, token } = options;
        const client = new ConnectionManager({ url, timeout, token });
        try {
          const result = await client.call(endpoint, input, { method: options.method });
          if (result !== undefined) writeLine(io.stdout, JSON.stringify(result, null, 2));
        } finally {
          await client.close();
        }
      },
    );
}
