// What reaches past the right edge of the window (and is not inside a box that scrolls or
// clips within it): the test that keeps every page within a phone's width names these.
() => {
  const edge = window.innerWidth + 1;
  const clipped = (e) => {
    for (let a = e.parentElement; a; a = a.parentElement) {
      const box = getComputedStyle(a).overflowX !== "visible";
      if (box && a.getBoundingClientRect().right <= edge) return true;
    }
    return false;
  };
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + (typeof e.className === "string" && e.className ? "." + e.className.split(" ").join(".") : "");
  const all = Array.from(document.querySelectorAll("body *"))
    .filter(e => e.getBoundingClientRect().right > edge);
  const free = all.filter(e => !clipped(e));
  // None outside a clipping box: something placed absolutely escapes one; name those too.
  return (free.length ? free : all.filter(e => getComputedStyle(e).position !== "static"))
    .slice(0, 6).map(e => name(e.parentElement) + " > " + name(e) + " " + Math.round(e.getBoundingClientRect().right));
}
