import { useState } from "preact/hooks";
import * as api from "../api/queries";
import { setToken } from "../api/token";
import { navigate } from "../router";

/** Paste an API token; it is checked against /me before it is kept. */
export function SignIn() {
  const [value, setValue] = useState("");
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const go = async () => {
    setToken(value.trim());
    try {
      const me = await api.me();
      setMessage({ text: `Signed in as ${me.name}`, error: false });
      navigate("#/experiments");
    } catch {
      setToken(null);
      setMessage({ text: "That token is not valid.", error: true });
    }
  };
  return (
    <>
      <h2>Sign in</h2>
      <p>
        Paste an API token (<code>optbench token create --name YOU</code>; the embedded server prints its own).
      </p>
      <label>
        Token{" "}
        <input id="token" type="password" autocomplete="off" value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === "Enter") go(); }} />
      </label>
      <button id="go" onClick={go}>Sign in</button>{" "}
      <span id="msg">{message && <span class={message.error ? "error" : ""}>{message.text}</span>}</span>
    </>
  );
}
