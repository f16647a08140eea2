/** Entry point of the gateway console. */
import { render } from "preact";
import { App } from "./components/App";
import { ConsoleModel } from "./model";
import "./styles.css";

const model = new ConsoleModel();
const root = document.getElementById("app");
if (root) render(<App model={model} />, root);
void model.start();
