// Shared moleculer 0.14 setup for the moleculer-web contender: a broker on the TCP transporter
// with UDP discovery off, fixed loopback ports for both nodes, and every peer address pinned to
// 127.0.0.1 (moleculer would otherwise dial the peer's reported hostname or first interface IP).
import { ServiceBroker, Transporters } from "moleculer";

export const ECHO_NODE = "bench-echo";
export const GATEWAY_NODE = "bench-gateway";

class LoopbackTcpTransporter extends Transporters.TCP {
  getNodeAddress() {
    return "127.0.0.1";
  }
}

/**
 * A broker for `nodeID` whose TCP server uses `ports[nodeID]`; both nodes are listed statically.
 * @param {string} nodeID
 * @param {{ echo: number, gateway: number }} ports
 */
export function createBroker(nodeID, ports) {
  const urls = [
    `127.0.0.1:${ports.echo}/${ECHO_NODE}`,
    `127.0.0.1:${ports.gateway}/${GATEWAY_NODE}`,
  ];
  const port = nodeID === ECHO_NODE ? ports.echo : ports.gateway;
  return new ServiceBroker({
    nodeID,
    logger: false,
    transporter: new LoopbackTcpTransporter({ udpDiscovery: false, port, urls, gossipPeriod: 1 }),
    metrics: false,
    tracing: false,
  });
}

/** Parse the `--tcp-echo` / `--tcp-gateway` flags shared by both moleculer scripts. */
export function tcpPorts(args) {
  const echo = Number(args["tcp-echo"]);
  const gateway = Number(args["tcp-gateway"]);
  if (!(echo > 0 && gateway > 0))
    throw new Error("--tcp-echo and --tcp-gateway ports are required");
  return { echo, gateway };
}
