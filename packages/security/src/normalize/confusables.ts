/**
 * Homoglyph folding table: non-Latin letters that render like a basic Latin letter.
 *
 * Provenance: the Latin-prototype rows of Unicode's confusables.txt (UTS #39,
 * "confusables.txt", skeleton mappings whose target is a single ASCII letter) for the
 * Cyrillic, Greek, Armenian, Cherokee and IPA/Latin-extended blocks, written from that
 * file's well-known entries (no network at build time), plus a few look-alikes that
 * homoglyph attacks use although UTS #39 maps them to a non-ASCII prototype (marked `+`
 * in the comments below: Greek epsilon, Cyrillic ve/en/te/ka small forms). Fullwidth
 * forms (U+FF01..), mathematical alphanumerics (U+1D400..), circled, superscript and
 * other compatibility letters are not listed: NFKC folds them to ASCII before this
 * table is applied.
 *
 * Format: pairs "<confusable><latin>" concatenated, one string per script.
 */
const TABLE: Record<string, string> = {
  // Cyrillic capitals and small letters (U+0400..U+052F)
  cyrillic:
    'АAВBСCЕEНHІIЈJКKМMОOРPЅSТTХXУYҮYӀlԁdԀDԛqԚQԝwԜWЌKЅSЁE' +
    'аaсcеeоoрpхxуyіiјjѕsһhӏlԍgɡgьbЬbѵvѴVҺhӡ3' +
    'кkпnгrтtвbмm', // + small forms that read as Latin in sans-serif fonts
  // Greek (U+0370..U+03FF)
  greek: 'ΑAΒBΕEΖZΗHΙIΚKΜMΝNΟOΡPΤTΥYΧXϜFϹCϺMαaοoνvιiκkρpυuχxγyϲcϳjεeωw',
  // Armenian (U+0530..U+058F)
  armenian: 'օoսuհhոnցgզqԱUՍUՕOԼLՏS',
  // Cherokee capitals (U+13A0..U+13FF)
  cherokee: 'ᎪAᏴBᏟCᎠDᎬEᏀGᎻHᏆIᎫJᏦKᏞLᎷMᏃNᏅPᏒRᏚSᎢTᏙVᏔWᎩYᏃZ',
  // Latin extended / IPA look-alikes
  latin: 'ıiȷjɑaɩiʋuʏyꮃwꓐBꓚCꓓDꓰEꓝFꓖGꓧHꓲIꓙJꓗKꓡLꓟMꓠNꓳOꓑPꓣRꓢSꓔTꓴUꓦVꓪWꓫXꓬYꓜZ',
};

/** Map from a confusable code point to its ASCII prototype letter. */
export const CONFUSABLES: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const pairs of Object.values(TABLE)) {
    const chars = Array.from(pairs);
    for (let i = 0; i + 1 < chars.length; i += 2) map.set(chars[i]!, chars[i + 1]!);
  }
  return map;
})();
