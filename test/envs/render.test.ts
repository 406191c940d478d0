// Rendering to SVG and the episode animation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MultiAgentEnv, animationHtml } from "../../src/index.js";

describe("render", () => {
  it("draws one circle per entity, in its colour, inside the frame", () => {
    const env = new MultiAgentEnv("simple_tag", { seed: 1 });
    const svg = env.render({ size: 200 });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="200" height="200"/);
    const circles = svg.match(/<circle /g) ?? [];
    assert.equal(circles.length, 6);
    assert.match(svg, /fill="rgb\(89,217,89\)"/, "the good agent is green (0.35, 0.85, 0.35)");
    const w = env.world;
    const cx = (w.pos[6] + 1) * 100; // agent 3, centred at x -> (x + 1) * size / 2
    assert.ok(svg.includes(`cx="${Math.round(cx * 100) / 100}"`));
  });

  it("shows what a speaking agent says as a letter", () => {
    const env = new MultiAgentEnv("simple_speaker_listener");
    assert.match(env.render(), /<text[^>]*>_<\/text>/, "silent (all-zero) comm is '_'");
    env.step([
      [0, 0, 1],
      [1, 0, 0, 0, 0],
    ]);
    assert.match(env.render(), /<text[^>]*>C<\/text>/);
  });

  it("plays frames with play/pause and a slider, showing the first frame without JavaScript", () => {
    const env = new MultiAgentEnv("simple_push");
    const frames = [env.render({ caption: "step 0" })];
    env.step([
      [0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0],
    ]);
    frames.push(env.render({ caption: "step </script> 1" }));
    const html = animationHtml(frames, { fps: 5 });
    assert.match(html, /class="play">play<\/button>/);
    assert.match(html, /max="1"/);
    // the first frame as a data-URI image (what sanitizers of untrusted HTML keep), the script swaps in inline SVG
    const first = /<div class="frame"><img alt="[^"]*" src="data:image\/svg\+xml;base64,([^"]+)"\/><\/div>/.exec(html);
    assert.ok(first, "first frame as an image");
    assert.equal(Buffer.from(first[1], "base64").toString("utf8"), frames[0]);
    const script = html.slice(html.indexOf("<script"), html.lastIndexOf("</script>"));
    assert.ok(!script.slice(8).includes("</script"), "frame text cannot close the script early");
    assert.throws(() => animationHtml([]), /at least one frame/);
  });
});
