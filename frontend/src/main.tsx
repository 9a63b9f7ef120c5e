import { render } from "preact";
import { token } from "./api/token";
import { type Route, useRoute } from "./router";
import { Compare } from "./views/Compare";
import { Experiment } from "./views/Experiment";
import { Experiments } from "./views/Experiments";
import { Leaderboard } from "./views/Leaderboard";
import { Queue } from "./views/Queue";
import { SignIn } from "./views/SignIn";
import { Submit } from "./views/Submit";
import "./style.css";

/** The view for a route. Visitors without a token see sign-in (the leaderboard aside). */
function View({ route }: { route: Route }) {
  const [first, second] = route.path;
  const id = Number(second);
  if (first === "signin" || (!token() && first !== "leaderboard")) return <SignIn />;
  if (first === "experiments" && second) return <Experiment id={id} params={route.params} />;
  if (first === "compare" && second) return <Compare id={id} params={route.params} />;
  if (first === "leaderboard") return <Leaderboard params={route.params} />;
  if (first === "submit") return <Submit />;
  if (first === "queue") return <Queue />;
  return <Experiments params={route.params} />;
}

function App() {
  const route = useRoute();
  return (
    <>
      <header>
        <a href="#/experiments" class="brand">optbench</a>
        <nav>
          <a href="#/experiments">Experiments</a>
          <a href="#/submit">Submit</a>
          <a href="#/queue">Queue</a>
          <a href="#/leaderboard">Leaderboard</a>
          <a href="#/signin" id="signin-link">{token() ? "Token" : "Sign in"}</a>
        </nav>
      </header>
      {/* keyed by path: a new page is a new view, whose unmount cancels its requests */}
      <main id="app" key={route.path.join("/")}><View route={route} /></main>
    </>
  );
}

render(<App />, document.body);
