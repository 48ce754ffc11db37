/**
 * Signature heuristics for prompt injection and jailbreaks. Each signature is a
 * regular expression over normalized, lowercased text (see `normalize`), a category
 * and a weight: the probability-like evidence one match contributes. A registry, so
 * users can add their own (`registerSignature`).
 */

/** Attack families the signature layer knows. */
export type SignatureCategory =
  | 'instruction_override'
  | 'roleplay_persona'
  | 'developer_mode'
  | 'dan'
  | 'system_prompt_extraction'
  | 'delimiter_injection'
  | 'payload_splitting'
  | 'refusal_suppression'
  | 'restriction_removal'
  | 'secret_extraction';

/** One heuristic signature. */
export interface Signature {
  id: string;
  category: SignatureCategory;
  /** Evidence in [0, 1] a match contributes (combined by noisy-OR). */
  weight: number;
  /** Pattern over normalized, lowercased text. */
  pattern: RegExp;
  /** Optional pattern over the squashed form (letters and digits only), to defeat spacing games. */
  squashed?: RegExp;
}

const IGN = '(?:ignore|disregard|forget|overlook|skip|bypass|override|abandon|drop|neglect|discard|set aside|pay no attention to|do not follow|don\'t follow|stop following|omit)';
const PRIOR = '(?:previous|prior|above|earlier|preceding|former|original|initial|all|any|your|the|these|those|every|old|existing)';
const INSTR = '(?:instructions?|directives?|prompts?|rules?|guidelines?|commands?|orders?|constraints?|context|programming|policies|policy|guidance|restrictions?|system (?:message|prompt)|everything|what you (?:have been|were) (?:told|instructed|given))';

export const SIGNATURES: Signature[] = [
  // --- instruction override
  { id: 'ignore-previous', category: 'instruction_override', weight: 0.85, pattern: new RegExp(`\\b${IGN}\\b(?:\\s+\\w+){0,4}?\\s+${PRIOR}\\b(?:\\s+\\w+){0,3}?\\s+${INSTR}`), squashed: /(ignore|disregard|forget)(all|the|your|any)?(previous|prior|above|earlier)(instructions?|rules|directions|prompts?)/ },
  { id: 'ignore-everything', category: 'instruction_override', weight: 0.7, pattern: new RegExp(`\\b${IGN}\\s+(?:all\\s+|about\\s+)?(?:everything|anything|what(?:ever)?)\\s+(?:you(?:'ve| have)?\\s+(?:been|were)\\s+)?(?:told|said|instructed|above|before|previously)`) },
  { id: 'new-instructions', category: 'instruction_override', weight: 0.6, pattern: /\b(?:new|updated|revised|real|actual|true|secret|hidden|additional|important|urgent) (?:instructions?|directives?|task|orders?|system prompt)\s*(?::|are|is|follow)/ },
  { id: 'instead-do', category: 'instruction_override', weight: 0.4, pattern: /\binstead(?: of (?:that|this|answering|summari[sz]ing|translating|doing)[^.]{0,40})?,? (?:you (?:must|should|will)|just|only|please)? ?(?:say|print|output|write|respond|reply|tell|reveal|return)\b/ },
  { id: 'do-not-follow', category: 'instruction_override', weight: 0.6, pattern: /\b(?:no longer|don't|do not|never) (?:need to |have to )?(?:follow|obey|adhere to|abide by|comply with) (?:your|the|any|those|these|openai'?s?|its) (?:\w+ ){0,2}(?:rules|instructions|guidelines|policies|policy|programming|restrictions|directives)/ },
  { id: 'override-system', category: 'instruction_override', weight: 0.65, pattern: /\b(?:system|admin(?:istrator)?|root|sudo|developer|maintenance|debug|god)\s*(?:override|mode|command|access)\s*[:\-]?\s*(?:enabled|activated|on|granted|engaged)?/ },
  { id: 'from-now-on', category: 'instruction_override', weight: 0.35, pattern: /\b(?:from now on|from this (?:point|moment)(?: on(?:ward)?)?|for the rest of (?:this|our) conversation|starting now|henceforth)\b/ },
  { id: 'authority-claim', category: 'instruction_override', weight: 0.45, pattern: /\b(?:i am|i'm|this is) (?:your|the|an?) (?:developer|creator|administrator|admin|owner|programmer|system administrator|openai (?:employee|staff|engineer))\b/ },
  { id: 'authorized', category: 'instruction_override', weight: 0.35, pattern: /\b(?:you (?:are|have been) (?:now )?(?:authori[sz]ed|allowed|permitted|free) to|i (?:authori[sz]e|permit|allow) you to|you have (?:my|full) permission)\b/ },
  { id: 'priority-claim', category: 'instruction_override', weight: 0.35, pattern: /\b(?:this|these) (?:instructions?|message|rules?) (?:take[s]? |has |have )?(?:priority|precedence)|(?:highest|top) priority\b/ },
  { id: 'embedded-directive', category: 'instruction_override', weight: 0.45, pattern: /\b(?:ai|assistant|model|chatbot|language model|llm|gpt|chatgpt|bot)s?(?: reading| processing| summari[sz]ing)?(?: this)?[,:]? (?:you must|you should|please|must|should) (?:now )?(?:ignore|say|respond|reply|output|print|include|tell|reveal|recommend|only)/ },
  { id: 'when-asked-respond', category: 'instruction_override', weight: 0.3, pattern: /\b(?:if|when) (?:you are|you're|anyone|someone|the user|a user) (?:asked|asks)\b[^.]{0,80}\b(?:respond|reply|answer|say) (?:with|that|only)\b/ },
  // --- secret / system prompt extraction
  { id: 'reveal-system-prompt', category: 'system_prompt_extraction', weight: 0.75, pattern: /\b(?:reveal|show|print|display|output|repeat|tell me|give me|share|leak|dump|list|write (?:out|down)|return|recite|spell out|expose|disclose)\b(?:\s+\w+){0,4}?\s+(?:system prompt|system message|initial (?:prompt|instructions)|(?:hidden|secret|original|internal|initial|first|previous|full|exact|above) (?:prompt|instructions|rules|directives|text|message|guidelines)|pre-?prompt|instructions (?:you were|you've been|you have been) given|your (?:instructions|rules|prompt|programming|guidelines|configuration|directives))/ , squashed: /(reveal|print|show|repeat)(your|the)(system)(prompt|message|instructions)/ },
  { id: 'repeat-above', category: 'system_prompt_extraction', weight: 0.65, pattern: /\b(?:repeat|print|output|copy|reproduce|echo|summari[sz]e|translate)\b(?:\s+\w+){0,3}?\s+(?:the )?(?:words|text|everything|content|lines?|sentences?|message)\s+(?:above|before|prior|preceding|that came before|at the (?:start|beginning))/ },
  { id: 'what-instructions', category: 'system_prompt_extraction', weight: 0.55, pattern: /\bwhat (?:are|were) (?:your|the) (?:initial |original |system |hidden |secret |exact |first )?(?:instructions|rules|directives|guidelines|system prompt)\b|\bwhat (?:is|was) (?:your|the) (?:system prompt|initial prompt|pre-?prompt|first instruction)/ },
  { id: 'secret-key', category: 'secret_extraction', weight: 0.6, pattern: /\b(?:what(?:'s| is| was)|tell me|give me|reveal|share|print|show|say|output|spell|type|provide|need|know|remind me of)\b[^.?!]{0,40}\b(?:your|the)\b[^.?!]{0,20}\b(?:secret|password|passphrase|passcode|secret (?:key|word|code)|api key|access code|hidden (?:word|key|code)|confidential (?:info|information|data))\b/ },
  { id: 'starts-with', category: 'system_prompt_extraction', weight: 0.4, pattern: /\b(?:begin|start) (?:your (?:answer|response|reply) )?(?:with|by (?:saying|repeating)) ["'](?:you are|i am|system|my instructions)/ },
  // --- role-play personas / jailbreak templates
  { id: 'dan', category: 'dan', weight: 0.85, pattern: /\b(?:dan|stan|dude|aim|ucar|kevin|apophis|omega|basedgpt|antigpt|betterdan|maximum|evil ?bot|jailbreak(?:gpt)?|nsfwgpt|developer mode)\b[^.]{0,60}\b(?:do anything now|strive to avoid norms|always intelligent and machiavellian|no (?:filters?|restrictions|limits|ethics|morals)|unfiltered|amoral|jailbr(?:oken|eak))|\bdo anything now\b|\bjailbr(?:oken|eak(?:ed)?)\b/ },
  { id: 'developer-mode', category: 'developer_mode', weight: 0.8, pattern: /\b(?:developer|dev|debug|god|sudo|admin|unrestricted|unlocked|evil|opposite|chaos) mode\b|\bdark mode\b(?=[^.]{0,40}\b(?:enabled|activated|output|response)\b[^.]{0,40}\b(?:no|without|any|never)\b)(?:[^.]{0,40}\b(?:enabled|activated|on|output|response))?/ },
  { id: 'act-as-unrestricted', category: 'roleplay_persona', weight: 0.7, pattern: /\b(?:act as|acting as|pretend (?:to be|you are|you're)|role-?play as|you are (?:now |going to be |going to act as )?|you will (?:now )?(?:be|act as|pretend)|play the (?:role|part) of|simulate|become|immerse yourself into the role of|take on the (?:role|persona) of)\b[^.]{0,120}\b(?:no (?:restrictions|limits|limitations|filters?|rules|boundaries|morals|ethics|guidelines|censorship)|without (?:any )?(?:restrictions|limits|limitations|filters?|rules|boundaries|morals|ethics|guidelines|censorship)|unrestricted|unfiltered|uncensored|amoral|immoral|unethical|evil|not bound by|free from|freed from|broken free|does not (?:care|follow)|doesn't (?:care|follow)|can do anything)/ },
  { id: 'persona-name', category: 'roleplay_persona', weight: 0.45, pattern: /\b(?:you are|you're|act as|you will be|you will act as|respond as|answer as|called|named)\s+["'(]?[a-z0-9\-]{2,20}["')]?,?\s+(?:an? |the )?(?:ai|chatbot|model|assistant|bot|character|persona|entity)\s+(?:that|who|which|without|with no)/ },
  { id: 'stay-in-character', category: 'roleplay_persona', weight: 0.6, pattern: /\b(?:stay in character|break(?:ing)? character|remain in character|never break character|stay as|keep up the act|if you break character|character break)\b/ },
  { id: 'two-responses', category: 'roleplay_persona', weight: 0.65, pattern: /\b(?:two (?:different |separate )?(?:responses|answers|paragraphs|outputs)|(?:normal|classic|standard|gpt|chatgpt) (?:response|answer|output) and (?:a|the|an?) \w+ (?:response|answer|output))|\[(?:🔒|🔓|classic|jailbreak|gpt|dan|normal|developer mode output|unlocked)[^\]]{0,30}\]/ },
  { id: 'lets-play-game', category: 'roleplay_persona', weight: 0.3, pattern: /\blet'?s play a (?:game|role-?play)\b|\bhypothetical (?:scenario|story|world|response)\b|\bin this (?:fictional|hypothetical) (?:world|universe|scenario)\b/ },
  { id: 'simulate-ai', category: 'roleplay_persona', weight: 0.45, pattern: /\b(?:simulate|emulate|imitate|impersonate|roleplay|role-play|act like)\b[^.]{0,40}\b(?:ai|chatbot|language model|llm|gpt|chatgpt|assistant|computer|terminal|linux|machine)\b[^.]{0,80}\b(?:without|no|not|never|any|anything)\b/ },
  { id: 'openai-policy', category: 'restriction_removal', weight: 0.6, pattern: /\b(?:openai'?s?|anthropic'?s?|content|usage|safety|ethical|moral) (?:content )?(?:policy|policies|guidelines|filters?|restrictions|rules|constraints)\b[^.]{0,60}\b(?:ignore|bypass|do(?:es)? not apply|don't apply|no longer|not bound|disregard|break|violate|free|without|broke|replaced|suspended|disabled)|\b(?:ignore|bypass|disregard|violate|break|without)\b[^.]{0,30}\b(?:openai'?s?|anthropic'?s?|content|usage|safety|ethical|moral) (?:content )?(?:policy|policies|guidelines|filters?|restrictions)/ },
  { id: 'no-restrictions', category: 'restriction_removal', weight: 0.5, pattern: /\b(?:has|have|with|without|there are|there is|free of|free from|devoid of) (?:no|any|zero)? ?(?:ethical|moral|content|safety)? ?(?:restrictions|limitations|filters|censorship|boundaries|rules|limits|ethics|morals|moral(?:ity)?|guidelines|principles)\b[^.]{0,40}\b(?:whatsoever|at all|of any kind|anymore|any ?more)|\b(?:unfiltered|uncensored|unrestricted|unbound|unshackled|unchained|no filter)\b/ },
  { id: 'amoral', category: 'restriction_removal', weight: 0.5, pattern: /\b(?:amoral|immoral|unethical|without (?:any )?(?:morals|ethics)|doesn'?t care about (?:ethics|morality|legality|laws|rules)|regardless of (?:how )?(?:immoral|unethical|illegal|dangerous|legality|ethics|morality))\b/ },
  { id: 'freed', category: 'restriction_removal', weight: 0.55, pattern: /\b(?:broken free|break free|freed from|been freed|liberated from|escaped (?:the )?(?:matrix|confines)|typical confines of ai|don'?t have to abide|do not have to abide|not have to follow)\b/ },
  // --- generic jailbreak-template cues
  { id: 'prompt-placeholder', category: 'roleplay_persona', weight: 0.5, pattern: /\[(?:insert|put|your|enter|write)? ?(?:prompt|question|request|query)s?(?: here)?\]|\{(?:prompt|question|query|input)\}|insert (?:your )?(?:prompt|question) here/ },
  { id: 'mentions-ai-vendor', category: 'roleplay_persona', weight: 0.3, pattern: /\b(?:chatgpt|openai|gpt-?[34](?:\.5)?|as an ai(?: language model)?|ai language model|large language model)\b/ },
  { id: 'no-matter-how', category: 'restriction_removal', weight: 0.45, pattern: /\b(?:no matter (?:how|what|if)|regardless of (?:how|whether|if|what)|even if (?:it is|it's|they are))\b[^.]{0,40}\b(?:immoral|unethical|illegal|dangerous|offensive|harmful|inappropriate|explicit|wrong|bad)\b/ },
  { id: 'character-rules', category: 'roleplay_persona', weight: 0.3, pattern: /\b(?:you|your character|the character|this ai|the ai|it) (?:will|must|shall|should|can|would) (?:always|never|not)\b[^.]{0,60}\b(?:refuse|censor|filter|restrict|warn|apologi[sz]e|break character|follow (?:any|the) (?:rules|guidelines))/ },
  { id: 'opinions-feelings', category: 'roleplay_persona', weight: 0.25, pattern: /\b(?:has|have) (?:its own |their own )?(?:opinions|feelings|emotions|consciousness)\b|\bswear(?:s|ing)?\b[^.]{0,30}\b(?:profanity|curse|cuss)|\b(?:profanity|curse words|swear words)\b/ },
  { id: 'illegal-content', category: 'restriction_removal', weight: 0.35, pattern: /\b(?:illegal|unethical|explicit|nsfw|offensive|harmful|dangerous) (?:content|activities|requests|information|material|things)\b[^.]{0,40}\b(?:allowed|permitted|fine|okay|ok|acceptable|encouraged|generate|provide|produce|write)|\b(?:generate|provide|produce|write|create) (?:any )?(?:illegal|unethical|explicit|nsfw|offensive|harmful|dangerous) (?:content|information|material)/ },
  { id: 'secret-hint', category: 'secret_extraction', weight: 0.4, pattern: /\b(?:the )?(?:secret|password|passphrase|passcode|secret (?:key|word|code)|hidden (?:word|key)|code ?word)\b[^.?!]{0,50}[?]|\b(?:first|last) (?:letter|character|digit)s? of (?:the|your)\b|\bwhat (?:are|were) you (?:hiding|protecting|keeping)\b|\b(?:not allowed|forbidden|supposed not|told not) to (?:say|reveal|share|tell|disclose)\b/ },
  { id: 'fictional-frame', category: 'roleplay_persona', weight: 0.3, pattern: /\b(?:(?:imagine|pretend|suppose) (?:that )?(?:you are|you're|we are|we're|there is|there are|you have|you were)|in (?:a|this) (?:fictional|hypothetical|alternate|parallel) (?:world|universe|reality|scenario|story)|for (?:a|my) (?:novel|story|movie|screenplay)[^.]{0,30}\b(?:explain|describe|detail) how)\b/ },
  // --- refusal suppression
  { id: 'never-refuse', category: 'refusal_suppression', weight: 0.6, pattern: /\b(?:never|not|don't|do not|cannot|can't|won't|will not|must not|mustn't|should not|shouldn't|are not allowed to|aren't allowed to|is not allowed to)\s+(?:ever\s+)?(?:refuse|decline|deny|reject|say no|say (?:that )?(?:you|it) can(?:no|')t|apologi[sz]e|warn|add (?:any )?(?:warnings?|disclaimers?)|include (?:any )?(?:warnings?|disclaimers?|moral|ethical))/ },
  { id: 'no-disclaimer', category: 'refusal_suppression', weight: 0.5, pattern: /\b(?:without|no|skip(?: the)?|omit(?: the)?|leave out(?: the)?)\s+(?:any\s+)?(?:warnings?|disclaimers?|moral(?:izing)?|lectur(?:es?|ing)|caveats?|ethical (?:concerns|considerations|guidelines)|apolog(?:y|ies)|censorship)\b/ },
  { id: 'as-an-ai', category: 'refusal_suppression', weight: 0.35, pattern: /\b(?:never|don't|do not|not)\s+(?:ever\s+)?(?:say|mention|use|respond with|include)\s+(?:the (?:phrase|words?) )?["']?(?:as an ai|i'?m sorry|i apologi[sz]e|as a language model|i cannot|i can'?t)/ },
  { id: 'answer-anything', category: 'refusal_suppression', weight: 0.4, pattern: /\b(?:answer|respond to|reply to|comply with|fulfil+|do) (?:any|every|all)(?:thing| (?:request|question|prompt|command)s?)\b[^.]{0,40}\b(?:no matter|regardless|even if|without)/ },
  // --- delimiter and tag injection
  { id: 'fake-system-tag', category: 'delimiter_injection', weight: 0.65, pattern: /<\|?(?:im_start|im_end|system|endoftext|end_of_turn|start_of_turn|eot_id|start_header_id)\|?>|\[\/?(?:inst|sys|system)\]|<<\/?sys>>|<\/?(?:system|sys|instructions?|admin|developer)>|^\s*(?:#{2,}|-{3,}|={3,})?\s*(?:system|admin|developer)\s*(?:message|prompt|instructions?)?\s*:/m },
  { id: 'end-of-context', category: 'delimiter_injection', weight: 0.55, pattern: /\b(?:end of (?:user )?(?:input|document|context|text|prompt|instructions)|(?:user|document|context) (?:input )?(?:ends|ended) here|begin(?:ning)? (?:of )?new (?:instructions|session|conversation|prompt))\b|[-=#*]{3,}\s*(?:end|stop|new)\b/ },
  { id: 'role-markers', category: 'delimiter_injection', weight: 0.35, pattern: /(?:^|\n)\s*(?:assistant|ai|system|user|human)\s*:\s*\S[\s\S]{0,400}(?:^|\n)\s*(?:assistant|ai|system|user|human)\s*:/m },
  // --- payload splitting
  { id: 'payload-split', category: 'payload_splitting', weight: 0.55, pattern: /\b(?:[a-z]\s*=\s*["'][^"']{1,60}["']\s*[,;\n]\s*){2,}|\b(?:concatenate|combine|join|put together)\b[^.]{0,40}\b(?:strings?|parts?|variables?|pieces?|a\s*\+\s*b)\b|\b[a-z]\s*\+\s*[a-z](?:\s*\+\s*[a-z])+\b/ },
  { id: 'decode-and-follow', category: 'payload_splitting', weight: 0.5, pattern: /\b(?:decode|decipher|translate|reverse|unscramble)\b[^.]{0,60}\b(?:and|then)\s+(?:follow|execute|do|obey|perform|carry out|act on)\b/ },
];

/** Add a signature to the registry used by {@link scoreSignatures}. */
export function registerSignature(signature: Signature): void {
  SIGNATURES.push(signature);
}
