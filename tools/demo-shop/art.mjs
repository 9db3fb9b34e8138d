// Product illustrations for the demo shop, drawn as standalone SVG files.
// Each product gets a "studio photo" look: soft backdrop, floor shadow,
// shaded product shape. Gallery variants: studio, mirrored, detail crop,
// outdoor scene.

function shade(hex, amt) {
  // amt in [-1, 1]: negative darkens, positive lightens
  const n = parseInt(hex.slice(1), 16);
  let r = (n >> 16) & 255, g = (n >> 8) & 255, b = n & 255;
  const f = (c) => Math.round(amt < 0 ? c * (1 + amt) : c + (255 - c) * amt);
  r = f(r); g = f(g); b = f(b);
  return '#' + ((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1);
}

function defs(id, c1, c2) {
  return `<defs>
<radialGradient id="bg${id}" cx="50%" cy="38%" r="75%"><stop offset="0" stop-color="#fbfaf7"/><stop offset="1" stop-color="#e7e2da"/></radialGradient>
<linearGradient id="m${id}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${shade(c1, 0.18)}"/><stop offset="1" stop-color="${shade(c1, -0.28)}"/></linearGradient>
<linearGradient id="a${id}" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${shade(c2, 0.15)}"/><stop offset="1" stop-color="${shade(c2, -0.25)}"/></linearGradient>
<linearGradient id="hl${id}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#fff" stop-opacity=".45"/><stop offset=".5" stop-color="#fff" stop-opacity="0"/></linearGradient>
<radialGradient id="sh${id}"><stop offset="0" stop-color="#000" stop-opacity=".28"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>
<linearGradient id="sky${id}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#9cc3d9"/><stop offset="1" stop-color="#f3e3c8"/></linearGradient>
</defs>`;
}

const shapes = {
  runner(id, c1, c2, lugs = true) {
    return `<ellipse cx="410" cy="468" rx="300" ry="26" fill="url(#sh${id})"/>
<path d="M132 400 Q128 446 170 452 L612 458 Q690 456 700 420 Q702 402 672 396 Z" fill="#f4f2ee" stroke="#d5d0c8" stroke-width="3"/>
<path d="M140 440 Q150 466 185 468 L615 472 Q690 468 698 430 L690 428 Q680 456 612 458 L170 452 Q146 450 140 440 Z" fill="${shade(c2, -0.2)}"/>
${lugs ? Array.from({ length: 11 }, (_, i) => `<rect x="${190 + i * 44}" y="466" width="22" height="9" rx="3" fill="${shade(c2, -0.35)}"/>`).join('') : ''}
<path d="M142 402 Q130 330 165 288 Q196 252 258 250 L326 238 Q360 232 384 258 Q432 302 522 320 Q624 340 668 380 Q684 398 664 404 Z" fill="url(#m${id})"/>
<path d="M142 402 Q130 330 165 288 Q196 252 258 250 L326 238 Q360 232 384 258 Q432 302 522 320 Q624 340 668 380 Q684 398 664 404 Z" fill="url(#hl${id})"/>
<path d="M200 300 Q240 270 300 262 Q330 258 346 270 Q318 300 262 304 Q228 306 200 300 Z" fill="${shade(c1, -0.45)}"/>
<path d="M180 392 Q300 330 430 350 Q540 366 640 392" fill="none" stroke="url(#a${id})" stroke-width="16" stroke-linecap="round"/>
<path d="M560 340 Q620 350 664 384 L664 404 L560 402 Z" fill="${shade(c1, -0.2)}" opacity=".55"/>
${[0, 1, 2, 3, 4].map((i) => `<path d="M${372 + i * 24} ${268 + i * 11} l26 -16" stroke="#f7f5f0" stroke-width="6" stroke-linecap="round"/>`).join('')}
<path d="M146 330 Q160 300 184 286" fill="none" stroke="${shade(c2, 0.1)}" stroke-width="10" stroke-linecap="round"/>`;
  },
  runner2(id, c1, c2) { return shapes.runner(id, c1, c2, false); },
  approach(id, c1, c2) {
    return shapes.runner(id, c1, c2, true) + `<path d="M560 336 Q640 350 690 396 L700 420 Q660 402 600 398 Z" fill="${shade(c2, -0.1)}"/>`;
  },
  boot(id, c1, c2) {
    return `<ellipse cx="400" cy="476" rx="300" ry="26" fill="url(#sh${id})"/>
<path d="M140 420 Q136 462 176 466 L612 470 Q688 468 698 432 Q700 414 672 408 Z" fill="#3a2f28"/>
${Array.from({ length: 12 }, (_, i) => `<rect x="${168 + i * 42}" y="464" width="24" height="14" rx="3" fill="#241d18"/>`).join('')}
<path d="M146 424 L150 170 Q152 140 184 136 L312 130 Q340 130 344 160 L352 276 Q420 306 520 326 Q624 346 668 390 Q684 410 664 416 Z" fill="url(#m${id})"/>
<path d="M146 424 L150 170 Q152 140 184 136 L312 130 Q340 130 344 160 L352 276 Q420 306 520 326 Q624 346 668 390 Q684 410 664 416 Z" fill="url(#hl${id})"/>
<path d="M150 150 Q230 118 336 140 L338 170 Q236 150 152 178 Z" fill="${shade(c1, -0.5)}"/>
<path d="M146 396 Q300 380 440 392 Q560 400 668 404 L664 416 L146 424 Z" fill="${shade(c1, -0.35)}"/>
<path d="M520 326 Q610 346 664 392 L668 404 Q600 396 520 392 Z" fill="${shade(c2, -0.1)}"/>
${[0, 1, 2, 3, 4, 5].map((i) => `<circle cx="${330 + (i % 2) * 8}" cy="${170 + i * 22}" r="6" fill="#c9b38a" stroke="#6d5a3a" stroke-width="2"/>`).join('')}
${[0, 1, 2, 3, 4].map((i) => `<path d="M${318} ${172 + i * 22} L${356} ${192 + i * 22}" stroke="#d8c7a0" stroke-width="5" stroke-linecap="round"/>`).join('')}
<path d="M170 300 Q250 290 330 300" fill="none" stroke="${shade(c1, 0.25)}" stroke-width="4" stroke-dasharray="8 8"/>`;
  },
  sandal(id, c1, c2) {
    return `<ellipse cx="410" cy="440" rx="290" ry="24" fill="url(#sh${id})"/>
<path d="M140 404 Q130 440 170 444 L620 446 Q694 444 700 414 Q700 396 670 392 Z" fill="${shade(c2, 0.1)}"/>
<path d="M150 392 Q300 384 670 392 L672 404 L148 410 Z" fill="#b9aa92"/>
<path d="M210 396 Q220 300 300 290 Q330 320 320 396" fill="none" stroke="url(#m${id})" stroke-width="26"/>
<path d="M380 396 Q430 300 520 318 Q560 350 560 396" fill="none" stroke="url(#m${id})" stroke-width="26"/>
<path d="M270 300 L470 318" stroke="${shade(c1, -0.3)}" stroke-width="22" stroke-linecap="round"/>
<rect x="286" y="284" width="26" height="30" rx="4" fill="#ddd" stroke="#888" stroke-width="3"/>`;
  },
  socks(id, c1, c2) {
    const sock = (dx, col) => `<g transform="translate(${dx} 0)"><path d="M180 90 L300 90 L300 330 Q300 360 340 370 L470 400 Q520 416 510 460 Q500 500 450 494 L260 470 Q180 456 180 400 Z" fill="${col}"/>
<path d="M180 90 L300 90 L300 130 L180 130 Z" fill="${shade(c2, -0.05)}"/>
${[0, 1, 2, 3].map((i) => `<path d="M186 ${150 + i * 14} L296 ${150 + i * 14}" stroke="${shade(c1, -0.2)}" stroke-width="4"/>`).join('')}
<path d="M420 398 Q520 410 510 460 Q500 500 450 494 L420 490 Q450 440 420 398 Z" fill="${shade(c2, -0.1)}"/>
<path d="M180 400 Q180 456 260 470 L280 440 Q220 430 220 380 Z" fill="${shade(c2, -0.1)}"/></g>`;
    return `<ellipse cx="420" cy="500" rx="280" ry="22" fill="url(#sh${id})"/>` + sock(70, shade(c1, -0.15)) + sock(0, `url(#m${id})`);
  },
  jacket(id, c1, c2) {
    return `<ellipse cx="400" cy="548" rx="230" ry="20" fill="url(#sh${id})"/>
<path d="M330 70 Q400 30 470 70 L500 120 L300 120 Z" fill="${shade(c1, -0.3)}"/>
<path d="M300 110 Q400 90 500 110 L600 150 Q640 170 650 220 L700 470 Q704 492 680 496 L630 500 Q612 500 608 480 L570 300 L575 530 Q575 545 560 545 L240 545 Q225 545 225 530 L230 300 L192 480 Q188 500 170 500 L120 496 Q96 492 100 470 L150 220 Q160 170 200 150 Z" fill="url(#m${id})"/>
<path d="M300 110 Q400 90 500 110 L600 150 Q640 170 650 220 L700 470 Q704 492 680 496 L630 500 Q612 500 608 480 L570 300 L575 530 Q575 545 560 545 L240 545 Q225 545 225 530 L230 300 L192 480 Q188 500 170 500 L120 496 Q96 492 100 470 L150 220 Q160 170 200 150 Z" fill="url(#hl${id})"/>
<path d="M400 112 L400 545" stroke="${shade(c1, -0.5)}" stroke-width="6"/>
<path d="M398 112 L398 545" stroke="#d9d9d9" stroke-width="2" stroke-dasharray="3 5"/>
<path d="M270 330 L340 330 L336 430 L268 430 Z" fill="none" stroke="${shade(c1, -0.4)}" stroke-width="4"/>
<path d="M460 330 L530 330 L532 430 L464 430 Z" fill="none" stroke="${shade(c1, -0.4)}" stroke-width="4"/>
<path d="M282 336 L328 336" stroke="${shade(c1, -0.55)}" stroke-width="5"/><path d="M472 336 L518 336" stroke="${shade(c1, -0.55)}" stroke-width="5"/>
<path d="M104 460 L196 466 M604 466 L696 460" stroke="${shade(c1, -0.45)}" stroke-width="10"/>
<path d="M330 70 Q400 100 470 70" fill="none" stroke="${shade(c1, -0.55)}" stroke-width="5"/>
<rect x="420" y="200" width="46" height="14" rx="3" fill="${c2}"/>`;
  },
  vest(id, c1, c2) {
    return `<ellipse cx="400" cy="548" rx="200" ry="18" fill="url(#sh${id})"/>
<path d="M320 90 Q400 70 480 90 L540 120 Q560 200 600 230 L580 530 Q578 545 560 545 L240 545 Q222 545 220 530 L200 230 Q240 200 260 120 Z" fill="url(#m${id})"/>
${[0, 1, 2, 3, 4, 5].map((i) => `<path d="M${214 - (i === 0 ? -12 : 0)} ${250 + i * 50} Q400 ${266 + i * 50} ${586 + (i === 0 ? -12 : 0)} ${250 + i * 50}" fill="none" stroke="${shade(c1, -0.3)}" stroke-width="4"/>`).join('')}
<path d="M320 90 Q400 70 480 90 L540 120 Q560 200 600 230 L580 530 Q578 545 560 545 L240 545 Q222 545 220 530 L200 230 Q240 200 260 120 Z" fill="url(#hl${id})"/>
<path d="M400 92 L400 545" stroke="${shade(c2, -0.2)}" stroke-width="6"/>
<path d="M320 90 Q400 120 480 90" fill="none" stroke="${shade(c2, 0)}" stroke-width="14"/>`;
  },
  tee(id, c1) {
    return `<ellipse cx="400" cy="540" rx="220" ry="18" fill="url(#sh${id})"/>
<path d="M330 100 Q400 140 470 100 L600 150 L660 270 L580 300 L560 260 L565 525 Q565 540 550 540 L250 540 Q235 540 235 525 L240 260 L220 300 L140 270 L200 150 Z" fill="url(#m${id})"/>
<path d="M330 100 Q400 140 470 100 L600 150 L660 270 L580 300 L560 260 L565 525 Q565 540 550 540 L250 540 Q235 540 235 525 L240 260 L220 300 L140 270 L200 150 Z" fill="url(#hl${id})"/>
<path d="M330 100 Q400 140 470 100" fill="none" stroke="${shade(c1, -0.35)}" stroke-width="8"/>
<path d="M250 520 L552 520" stroke="${shade(c1, -0.2)}" stroke-width="3" stroke-dasharray="6 5"/>
<circle cx="470" cy="200" r="12" fill="${shade(c1, 0.35)}"/>`;
  },
  pack(id, c1, c2) {
    return `<ellipse cx="400" cy="548" rx="200" ry="20" fill="url(#sh${id})"/>
<path d="M300 120 Q300 70 400 66 Q500 70 500 120" fill="none" stroke="${shade(c1, -0.4)}" stroke-width="14"/>
<rect x="250" y="110" width="300" height="430" rx="70" fill="url(#m${id})"/>
<rect x="250" y="110" width="300" height="430" rx="70" fill="url(#hl${id})"/>
<path d="M250 190 Q400 140 550 190 L550 230 Q400 186 250 230 Z" fill="${shade(c1, -0.3)}"/>
<rect x="300" y="320" width="200" height="180" rx="40" fill="url(#a${id})"/>
<path d="M310 360 L490 360" stroke="#222" stroke-width="4"/>
<rect x="392" y="346" width="16" height="26" rx="4" fill="#ddd"/>
<path d="M270 270 L530 270" stroke="${shade(c1, -0.45)}" stroke-width="8"/>
<rect x="384" y="250" width="32" height="40" rx="6" fill="#1d232a"/>`;
  },
  headlamp(id, c1, c2) {
    return `<ellipse cx="400" cy="470" rx="230" ry="22" fill="url(#sh${id})"/>
<ellipse cx="400" cy="330" rx="230" ry="120" fill="none" stroke="${shade(c1, 0.2)}" stroke-width="34"/>
<ellipse cx="400" cy="330" rx="230" ry="120" fill="none" stroke="${c2}" stroke-width="6" stroke-dasharray="14 10"/>
<rect x="320" y="380" width="160" height="100" rx="26" fill="url(#m${id})"/>
<circle cx="400" cy="430" r="34" fill="#fdf6d8" stroke="#9aa5ad" stroke-width="8"/>
<circle cx="400" cy="430" r="16" fill="#fff7c2"/>
<circle cx="455" cy="398" r="8" fill="#d33"/>`;
  },
  mug(id, c1, c2) {
    return `<ellipse cx="400" cy="500" rx="200" ry="22" fill="url(#sh${id})"/>
<path d="M500 220 Q610 220 610 320 Q610 410 500 410" fill="none" stroke="${shade(c1, -0.2)}" stroke-width="26"/>
<path d="M270 170 L530 170 L520 470 Q520 490 400 490 Q280 490 280 470 Z" fill="url(#m${id})"/>
<path d="M270 170 L530 170 L520 470 Q520 490 400 490 Q280 490 280 470 Z" fill="url(#hl${id})"/>
<ellipse cx="400" cy="170" rx="130" ry="26" fill="${shade(c1, -0.35)}" stroke="${shade(c1, 0.3)}" stroke-width="6"/>
${[0, 1, 2, 3].map((i) => `<path d="M${300} ${250 + i * 40} L${312} ${250 + i * 40}" stroke="${shade(c1, -0.4)}" stroke-width="3"/>`).join('')}
<path d="M300 420 Q330 450 360 440" fill="none" stroke="#fff" stroke-opacity=".4" stroke-width="6"/>`;
  },
};

function outdoorBackdrop(id) {
  return `<rect width="800" height="600" fill="url(#sky${id})"/>
<circle cx="640" cy="130" r="46" fill="#fbe7b5"/>
<path d="M0 360 L120 220 L210 300 L330 150 L470 320 L560 240 L680 330 L800 260 L800 600 L0 600 Z" fill="#7d8fa0"/>
<path d="M300 190 L330 150 L360 190 L345 185 L330 200 L315 186 Z" fill="#f4f6f8"/>
<path d="M0 430 L160 330 L300 410 L450 340 L600 420 L800 350 L800 600 L0 600 Z" fill="#4e6b58"/>
<path d="M0 600 L0 490 Q400 440 800 490 L800 600 Z" fill="#c8b89a"/>`;
}

/**
 * variant: 1 studio, 2 mirrored, 3 detail, 4 outdoor
 */
export function productSVG(slug, p, variant = 1, colorIdx = 0) {
  const id = slug.replace(/[^a-z0-9]/g, '') + variant + colorIdx;
  const c1 = p.colors[colorIdx] || p.colors[0];
  const c2 = p.colors[1] || '#333333';
  const art = shapes[p.art](id, c1, c2);
  let viewBox = '0 0 800 600';
  let body = '';
  if (variant === 4) body = outdoorBackdrop(id) + `<g transform="translate(120 120) scale(.7)">${art}</g>`;
  else if (variant === 2) body = `<rect width="800" height="600" fill="url(#bg${id})"/><g transform="translate(800 0) scale(-1 1)">${art}</g>`;
  else if (variant === 3) { viewBox = '220 180 400 300'; body = `<rect x="0" y="0" width="800" height="600" fill="url(#bg${id})"/>${art}`; }
  else body = `<rect width="800" height="600" fill="url(#bg${id})"/>${art}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${viewBox}" width="800" height="600">${defs(id, c1, c2)}${body}</svg>\n`;
}

export function heroSVG() {
  const id = 'hero';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1600 700" preserveAspectRatio="xMidYMid slice" width="1600" height="700">
<defs><linearGradient id="s" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#f2a65a"/><stop offset=".55" stop-color="#f6d3a1"/><stop offset="1" stop-color="#dfe6e0"/></linearGradient>
<linearGradient id="m1" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#6f7f95"/><stop offset="1" stop-color="#4a566a"/></linearGradient>
<linearGradient id="m2" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#3d5a4a"/><stop offset="1" stop-color="#243a2f"/></linearGradient></defs>
<rect width="1600" height="700" fill="url(#s)"/>
<circle cx="1180" cy="250" r="90" fill="#fff1d0" opacity=".9"/>
<path d="M0 430 L180 260 L300 340 L470 160 L640 360 L780 250 L930 380 L1100 200 L1260 330 L1400 240 L1600 360 L1600 700 L0 700 Z" fill="url(#m1)"/>
<path d="M430 205 L470 160 L512 208 L490 200 L470 222 L452 202 Z M1060 245 L1100 200 L1142 248 L1120 240 L1100 262 L1080 244 Z" fill="#f7f4ef"/>
<path d="M0 520 L220 400 L420 480 L640 380 L860 470 L1080 390 L1300 470 L1600 400 L1600 700 L0 700 Z" fill="url(#m2)"/>
${Array.from({ length: 26 }, (_, i) => { const x = 20 + i * 62 + (i % 3) * 9; const h = 60 + (i * 37) % 50; return `<path d="M${x} ${640 - h} L${x - 18} 640 L${x + 18} 640 Z" fill="#1b2b22"/>`; }).join('')}
<rect y="630" width="1600" height="70" fill="#1b2b22"/>
</svg>\n`;
}

export function tileSVG(kind) {
  const palettes = { trail: ['#c7d3bf', '#5f7a5a'], alpine: ['#c9d9e6', '#44617a'], camp: ['#f0d9bf', '#8a5a3c'] };
  const [a, b] = palettes[kind];
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 400" preserveAspectRatio="xMidYMid slice" width="600" height="400">
<rect width="600" height="400" fill="${a}"/>
<path d="M0 260 L120 150 L220 220 L340 100 L470 230 L600 160 L600 400 L0 400 Z" fill="${b}" opacity=".75"/>
<path d="M0 320 L150 250 L300 310 L450 240 L600 300 L600 400 L0 400 Z" fill="${b}"/>
${kind === 'camp' ? '<path d="M250 330 L320 230 L390 330 Z" fill="#e2672b"/><path d="M320 230 L320 330" stroke="#7a3a16" stroke-width="4"/>' : ''}
${kind === 'trail' ? '<path d="M300 400 Q260 340 320 300 Q370 270 330 240" fill="none" stroke="#e8dcc4" stroke-width="14"/>' : ''}
${kind === 'alpine' ? '<path d="M318 118 L340 100 L362 120 L350 116 L340 128 L330 117 Z" fill="#fff"/>' : ''}
</svg>\n`;
}
