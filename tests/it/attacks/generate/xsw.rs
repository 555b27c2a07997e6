//! XML signature wrapping (XSW1–8 of "On Breaking SAML", adapted from the Response to the signed
//! AuthnRequest: the one signed element is the root) and the cloned-root / moved-signature
//! variants.

use super::*;

pub(super) fn xsw_cases(c: &mut Corpus, k: &Keys) {
    let key = &k.corpus;
    // The original: a valid request, signed by the SP, as an attacker might have captured it.
    let orig = |n: &str| {
        sign(
            &Req::new(&format!("_atk-post-{n}-orig")).template(),
            &Spec::new(key),
        )
    };
    let evil = |n: &str| Req::evil(&format!("_atk-post-{n}"));

    let o = orig("xsw1");
    let inner = sig_of(&o).replace(
        "</ds:Signature>",
        &format!("{}</ds:Signature>", without_sig(&o)),
    );
    c.add(
        "post/xsw1-original-inside-signature.xml",
        "XSW1: forged root (evil ACS) whose Signature holds the original signed request",
        "enveloped.signature_children then enveloped.reference_uri",
        "html 400 signature_structure_refused",
        evil("xsw1").template().replace(SLOT, &inner),
    );
    let o = orig("xsw2");
    c.add(
        "post/xsw2-original-before-signature.xml",
        "XSW2: forged root with the original (signature detached) as a sibling before Signature",
        "enveloped.reference_uri",
        "html 400 signature_structure_refused",
        evil("xsw2")
            .template()
            .replace(SLOT, &format!("{}{}", without_sig(&o), sig_of(&o))),
    );
    let o = orig("xsw3");
    let e = evil("xsw3").plain();
    c.add(
        "post/xsw3-forged-request-in-extensions.xml",
        "XSW3: the signed original with a forged AuthnRequest added in its Extensions",
        "enveloped.digest",
        "html 400 digest_mismatch",
        o.replace(
            "</ds:Signature>",
            &format!("</ds:Signature><samlp:Extensions>{e}</samlp:Extensions>"),
        ),
    );
    let o = orig("xsw4");
    c.add(
        "post/xsw4-original-as-child-of-forged-root.xml",
        "XSW4: forged unsigned root whose direct child is the signed original",
        "request.require_signed (signature must be a child of the root)",
        "html 400 signature_required",
        evil("xsw4").template().replace(SLOT, &o),
    );
    let o = orig("xsw5");
    c.add(
        "post/xsw5-forged-root-keeps-signature-original-appended.xml",
        "XSW5: forged root keeps the original Signature, the original (unsigned copy) appended",
        "enveloped.reference_uri",
        "html 400 signature_structure_refused",
        evil("xsw5").template().replace(SLOT, sig_of(&o)).replace(
            "</samlp:AuthnRequest>",
            &format!("{}</samlp:AuthnRequest>", without_sig(&o)),
        ),
    );
    let o = orig("xsw6");
    let in_key_info = sig_of(&o).replace(
        "</ds:Signature>",
        &format!(
            "<ds:KeyInfo>{}</ds:KeyInfo></ds:Signature>",
            without_sig(&o)
        ),
    );
    c.add(
        "post/xsw6-original-inside-keyinfo.xml",
        "XSW6: forged root whose Signature carries the original inside KeyInfo (an allowed child)",
        "enveloped.reference_uri",
        "html 400 signature_structure_refused",
        evil("xsw6").template().replace(SLOT, &in_key_info),
    );
    let o = orig("xsw7");
    c.add(
        "post/xsw7-original-in-extensions-of-forged-root.xml",
        "XSW7: forged unsigned root with the signed original inside samlp:Extensions",
        "request.require_signed (signature must be a child of the root)",
        "html 400 signature_required",
        evil("xsw7")
            .template()
            .replace(SLOT, &format!("<samlp:Extensions>{o}</samlp:Extensions>")),
    );
    let o = orig("xsw8");
    let in_object = sig_of(&o).replace(
        "</ds:Signature>",
        &format!("<ds:Object>{}</ds:Object></ds:Signature>", without_sig(&o)),
    );
    c.add(
        "post/xsw8-original-inside-object.xml",
        "XSW8: forged root whose Signature carries the original inside ds:Object",
        "enveloped.signature_children then enveloped.reference_uri",
        "html 400 signature_structure_refused",
        evil("xsw8").template().replace(SLOT, &in_object),
    );
    // Clone the root: the forged root claims the original's ID.
    let o = orig("clone");
    let mut cloned = Req::evil("_atk-post-clone-orig");
    cloned.after_sig = format!("<samlp:Extensions>{o}</samlp:Extensions>");
    c.add(
        "post/xsw-cloned-root-same-id.xml",
        "XSW: forged root with the original's ID and Signature, the original in Extensions",
        "enveloped.root_id_unique",
        "html 400 duplicate_id",
        cloned.template().replace(SLOT, sig_of(&o)),
    );
    // Signed where it stands: the signature is valid for the root (xmlsec1 accepts it) but is not
    // the root's child, so it does not count.
    let moved = Req::new("_atk-post-moved")
        .template()
        .replace(SLOT, "")
        .replace(
            "<samlp:NameIDPolicy",
            &format!("<samlp:Extensions>{SLOT}</samlp:Extensions><samlp:NameIDPolicy"),
        );
    c.add(
        "post/signature-moved-into-extensions.xml",
        "valid signature of the root placed inside Extensions instead of as the root's child",
        "request.require_signed (signature must be a child of the root)",
        "html 400 signature_required",
        sign(&moved, &Spec::new(key)),
    );
    let o = orig("two-signatures");
    c.add(
        "post/two-signatures.xml",
        "two Signature children of the root (which one counts?)",
        "enveloped.one_signature",
        "html 400 signature_structure_refused",
        o.replace(sig_of(&o), &sig_of(&o).repeat(2)),
    );
    // A valid signature of the root that also carries a ds:Object (outside what SignedInfo signs):
    // only the Signature-shape rule refuses it.
    let mut s = Spec::new(key);
    s.trailer = format!("<ds:Object>{}</ds:Object>", evil("object").plain());
    c.add(
        "post/object-in-signature.xml",
        "valid signature of the root whose Signature also carries a forged request in ds:Object",
        "enveloped.signature_children",
        "html 400 signature_structure_refused",
        sign(&Req::new("_atk-post-object-orig").template(), &s),
    );
}
