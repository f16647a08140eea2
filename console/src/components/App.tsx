/** The console's one screen: header, apps, and the side column (register form, events). */
import { useEffect, useState } from "preact/hooks";
import type { ConsoleModel, ConsoleState } from "../model";
import { APPS_HEADING_ID, AppCard } from "./AppCard";
import { ErrorBox } from "./ErrorBox";
import { EventsLog } from "./EventsLog";
import { Header } from "./Header";
import { RegisterForm } from "./RegisterForm";

/** Follows the model's state. */
function useModel(model: ConsoleModel): ConsoleState {
  const [state, setState] = useState(model.state);
  useEffect(() => model.subscribe(() => setState(model.state)), [model]);
  return state;
}

/** The whole page. */
export function App({ model }: { model: ConsoleModel }) {
  const state = useModel(model);
  const stats = typeof state.stats === "object" ? state.stats : undefined;
  return (
    <>
      <Header state={state} onToken={(token) => model.useToken(token)} />
      {/* After the token field (what a keyboard user needs first), before the app cards. */}
      <a class="skip-link" href="#register-heading">
        Skip to the register form
      </a>
      <main class="layout">
        <section class="apps" aria-labelledby={APPS_HEADING_ID}>
          <h2 id={APPS_HEADING_ID} tabIndex={-1}>
            Apps <span class="count">({state.apps.length})</span>
          </h2>
          {state.loadError && (
            <ErrorBox status={undefined} error={state.loadError} what="Listing the apps" />
          )}
          {state.apps.length === 0 && !state.loadError && (
            <p class="empty">No app is registered yet. Register one with the form.</p>
          )}
          {state.apps.map((app) => (
            <AppCard
              key={app.name}
              app={app}
              stats={stats?.apps.find((s) => s.name === app.name)}
              statsOff={state.stats === "unavailable"}
              tools={state.tools instanceof Map ? (state.tools.get(app.name) ?? []) : undefined}
            />
          ))}
        </section>
        <div class="side">
          <RegisterForm />
          <EventsLog events={state.events} announcement={state.announcement} />
        </div>
      </main>
    </>
  );
}
