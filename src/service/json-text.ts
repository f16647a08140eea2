/**
 * A reply its handler has already serialised to JSON and vouches for: sent as is, with no output
 * check and no second serialisation (the gateway's app lists can be megabytes).
 */
export class JsonText {
  constructor(readonly text: string | Buffer) {}
}
